"""The streaming job's command line: flags, an optional settings file, ``--dev`` paths.

The same arguments work under ``python -m jobs.stream`` and ``spark-submit jobs/stream.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from jobs.config.flags import (
    add_broker_flags,
    add_processor_flags,
    add_table_flags,
    add_timezone_flag,
    command_parser,
)
from jobs.config.problems import Problems
from jobs.config.settings_file import add_config_flag, read_settings_file
from jobs.config.stream import JobConfig, parse_stop_at_offsets, parse_trigger
from jobs.config.values import (
    absolute_location,
    parse_count,
    parse_duration,
    parse_errors_tolerance,
    parse_kafka_options,
    parse_topics,
)
from jobs.core.error_tolerance import TOLERATE_ALL
from jobs.core.errors import ConfigError

__all__ = ["build_parser", "parse_config"]

DESCRIPTION = """\
Read Kafka with Spark Structured Streaming and, for every micro-batch: archive every record to
an hourly-partitioned backup Delta table, run the processor on each record in the executors,
write its output, and send every record that fails to an hourly-partitioned DLQ Delta table
with the error beside the original bytes. Offsets live in the checkpoint; each table write is
idempotent, so a crash and restart neither loses nor doubles a record.
"""

EPILOG = """\
settings file (--config): TOML or JSON with the flag names as keys, e.g.
  bootstrap-servers = "broker:9092"
  topics = ["orders", "payments"]
  kafka-option = ["security.protocol=SASL_SSL"]
Flags given on the command line win over the file.

exit codes: 0 finished (available-now/once done, --stop-at-offsets reached) · 1 failed while
running, or a batch passed --errors-tolerance · 2 bad settings, or the checkpoint is another
job's or in use by a running job (named) · 3 stopped by SIGTERM/SIGINT: the running batch
finished and its checkpoint commit was written; run again to go on

example:
  python -m jobs.stream --bootstrap-servers 127.0.0.1:9092 --topics orders \\
    --processor jobs.processors.builtin:json_events --checkpoint /data/ckpt/orders \\
    --backup-path /data/backup --dlq-path /data/dlq --output-path /data/orders \\
    --trigger available-now
"""


def build_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "python -m jobs.stream", DESCRIPTION, EPILOG, argument_default=argparse.SUPPRESS
    )
    source = p.add_argument_group("source")
    add_broker_flags(source)
    source.add_argument("--topics", metavar="T1,T2", help="topics to read (comma list)")
    source.add_argument("--topic-pattern", metavar="REGEX", help="or: every topic matching")
    source.add_argument(
        "--starting-offsets",
        metavar="WHERE",
        help="for a new checkpoint: earliest (default), latest, or Spark's per-partition JSON",
    )
    source.add_argument("--max-offsets-per-trigger", metavar="N", help="cap on records per batch")
    work = p.add_argument_group("processing")
    add_processor_flags(work)
    add_timezone_flag(work)
    work.add_argument(
        "--errors-tolerance",
        metavar="LIMIT",
        help="all (default): every failed record goes to the DLQ and the job goes on; none: "
        "stop (exit 1) at a batch's first failed record; N: when a batch sends more than N "
        "records to the DLQ; P%%: more than P percent of what it read. A stopped batch writes "
        "no output and no DLQ rows: fixed and run again, it is processed whole",
    )
    sinks = p.add_argument_group("tables and topics")
    sinks.add_argument(
        "--checkpoint",
        metavar="PATH",
        type=absolute_location,
        help="Spark checkpoint: the offsets; a local path is made absolute",
    )
    add_table_flags(sinks)
    sinks.add_argument("--output-topic", metavar="TOPIC", help="or: output Kafka topic")
    sinks.add_argument("--dlq-topic", metavar="TOPIC", help="also send DLQ records here")
    sinks.add_argument(
        "--dlq-topic-headers",
        choices=("dlq", "connect", "both"),
        help="error facts on --dlq-topic records as dlq.* headers (default), as Kafka "
        "Connect's __connect.errors.* headers (with the stack trace), or both",
    )
    run = p.add_argument_group("running")
    run.add_argument(
        "--trigger",
        metavar="WHEN",
        help="processing-time=10s (default), available-now (all there is, then stop), once",
    )
    run.add_argument(
        "--stop-at-offsets",
        metavar="JSON",
        help='stop cleanly once these are processed: {"topic": {"0": 100}}',
    )
    run.add_argument(
        "--commit-group",
        metavar="GROUP",
        help="after each batch commit its end offsets to this consumer group (for lag tools)",
    )
    run.add_argument(
        "--dev",
        action="store_true",
        help="throw-away checkpoint and tables in a temporary directory; nothing committed",
    )
    run.add_argument(
        "--resume-from-ledger",
        action="store_true",
        help="when the checkpoint has no offsets (lost or moved aside), start where the "
        "ledger says the job stopped, instead of --starting-offsets",
    )
    run.add_argument(
        "--checkpoint-lease",
        metavar="DURATION",
        help="one job per checkpoint: a job killed with kill -9 on another host blocks a "
        "restart this long at most (default 30s; on the same host not at all)",
    )
    run.add_argument(
        "--heartbeat",
        metavar="DURATION",
        help="while no batch runs, log the last batch and the lag per partition this often "
        "(default 5m; 0: never)",
    )
    run.add_argument(
        "--name",
        help="job name: the Spark app name and the prefix of the app id its Delta commits carry",
    )
    run.add_argument("--master", help="Spark master when not run by spark-submit (local[2])")
    add_config_flag(run)
    return p


def parse_config(argv: list[str] | None = None) -> JobConfig:
    """Flags over the settings file, turned into one validated ``JobConfig``."""
    flags = vars(build_parser().parse_args(argv))
    settings = settings_from_file(flags.pop("config")) if "config" in flags else {}
    settings.update(flags)
    if settings.get("dev"):
        settings.update(dev_paths(settings))
    return to_config(settings)


def settings_from_file(path: str) -> dict[str, Any]:
    known = {a.dest for a in build_parser()._actions} - {"help", "config"}
    settings = read_settings_file(path, known)
    for key, value in settings.items():
        _check_file_type(key, value)
    if isinstance(settings.get("kafka_option"), str):
        settings["kafka_option"] = [settings["kafka_option"]]
    return settings


_INTS = {"max_offsets_per_trigger", "max_record_bytes"}
_LISTS = {"topics", "kafka_option"}


def _check_file_type(key: str, value: Any) -> None:
    flag = "--" + key.replace("_", "-")
    if key in ("dev", "resume_from_ledger"):
        ok, want = isinstance(value, bool), "true or false"
    elif key in _INTS:
        ok, want = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif key in _LISTS:
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        want = "a string or a list of strings"
    elif key in ("broker_timeout", "record_timeout", "checkpoint_lease", "heartbeat"):
        ok, want = isinstance(value, str | int | float), "a duration such as 30s"
    elif key == "errors_tolerance":
        ok = isinstance(value, str | int) and not isinstance(value, bool)
        want = 'all, none, a count or a share such as "5%"'
    elif key == "stop_at_offsets":
        ok, want = isinstance(value, str | dict), "an object or a JSON string"
    else:
        ok, want = isinstance(value, str), "a string"
    if not ok:
        raise ConfigError(flag, f"in the settings file must be {want}; got {type(value).__name__}")


def dev_paths(settings: dict[str, Any]) -> dict[str, Any]:
    """Fresh temporary locations, so a dev run starts from scratch and commits nothing."""
    if settings.get("commit_group"):
        raise ConfigError("--commit-group", "--dev commits nothing; drop one of the two")
    root = Path(tempfile.mkdtemp(prefix="kafka-stream-dev-"))
    paths = {name: str(root / name) for name in ("checkpoint", "backup", "dlq")}
    dev = {"checkpoint": paths["checkpoint"], "backup_path": paths["backup"]}
    dev["ledger_path"] = str(root / "ledger")
    dev["dlq_path"] = paths["dlq"]
    if not settings.get("output_topic"):
        dev["output_path"] = str(root / "output")
    return dev


LOCATIONS = ("checkpoint", "backup_path", "dlq_path", "output_path", "ledger_path")


def to_config(s: dict[str, Any]) -> JobConfig:
    s = {
        k: absolute_location(v) if k in LOCATIONS and isinstance(v, str) else v
        for k, v in s.items()
    }
    problems = Problems()
    values = parsed_values(s, problems)
    config = problems.value(lambda: JobConfig(**required_values(s), **values), None)
    problems.raise_any()
    return config


def required_values(s: dict[str, Any]) -> dict[str, Any]:
    return {
        key: s.get(key, "")
        for key in ("bootstrap_servers", "processor", "checkpoint", "backup_path", "dlq_path")
    }


def parsed_values(s: dict[str, Any], problems: Problems) -> dict[str, Any]:
    """Every setting with a value parser, each problem collected; the plain optional ones."""
    p = problems.value
    options = s.get("kafka_option") or []
    optional = {
        "topic_pattern",
        "output_path",
        "ledger_path",
        "output_topic",
        "dlq_topic",
        "starting_offsets",
        "timezone",
        "commit_group",
        "name",
        "master",
        "dev",
        "resume_from_ledger",
        "dlq_topic_headers",
    }
    return {
        "topics": _topics(s.get("topics")),
        "trigger": p(lambda: parse_trigger(s["trigger"]), JobConfig.trigger)
        if "trigger" in s
        else JobConfig.trigger,
        "kafka_options": p(lambda: parse_kafka_options(list(options)), {}),
        "stop_at_offsets": p(lambda: _stop_at(s.get("stop_at_offsets")), None),
        **{key: p(lambda key=key: _duration(s, key), getattr(JobConfig, key)) for key in DURATIONS},
        **{key: p(lambda key=key: _count(s, key), None) for key in _INTS if key in s},
        "errors_tolerance": p(
            lambda: parse_errors_tolerance(str(s.get("errors_tolerance", "all"))),
            TOLERATE_ALL,
        ),
        **{k: v for k, v in s.items() if k in optional},
    }


DURATIONS = {"broker_timeout": "30s", "record_timeout": "60s", "checkpoint_lease": "30s"}
DURATIONS["heartbeat"] = "5m"


def _duration(s: dict[str, Any], key: str) -> float:
    return parse_duration(str(s.get(key, DURATIONS[key])), "--" + key.replace("_", "-"))


def _count(s: dict[str, Any], key: str) -> int:
    return parse_count(s[key], "--" + key.replace("_", "-"))


def _topics(value: str | list[str] | None) -> tuple[str, ...]:
    """A comma list from a flag, or a list from the settings file."""
    return parse_topics(value if isinstance(value, str) else ",".join(value or ()))


def _stop_at(value: str | dict | None) -> dict[str, dict[int, int]] | None:
    if value is None:
        return None
    return parse_stop_at_offsets(value if isinstance(value, str) else json.dumps(value))
