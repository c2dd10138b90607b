"""The replay jobs' command line and settings: ``python -m jobs.replay kafka|backup|dlq``."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypeVar

from jobs.config.flags import (
    add_broker_flags,
    add_hour_flags,
    add_processor_flags,
    add_table_flags,
    add_timezone_flag,
    command_parser,
)
from jobs.config.problems import Problems
from jobs.config.settings_file import add_config_flag, parse_with_settings_file
from jobs.config.values import (
    check_one_output,
    check_positive,
    check_timezone,
    described,
    parse_count,
    parse_duration,
    parse_hour_range,
    parse_kafka_options,
    parse_partition_offsets,
    parse_timestamp_ms,
    parse_topics,
)
from jobs.core.ledger import REPLAY_MODES
from jobs.core.replay_plan import HourRange

__all__ = ["Mode", "ReplayConfig", "build_parser", "check", "parse_replay_config"]

Mode = Literal["kafka", "backup", "dlq"]
T = TypeVar("T")

DESCRIPTION = """\
Reprocess records through the streaming job's processor and writers, in batch:
  kafka   an offset or time range still held by Kafka (backed up too, unless --skip-backup)
  backup  archived hours, straight from the backup table (works after Kafka's retention)
  dlq     unresolved DLQ rows; rows that now succeed are marked resolved
Writes are keyed by the source record (topic, partition, offset), so running the same replay
twice adds nothing the second time.
"""

EXIT_CODES = """
settings file (--config): TOML or JSON with the flag names as keys, e.g.
  backup-path = "/data/backup"
  topics = ["orders"]
Flags given on the command line win over the file.

exit codes: 0 done (or nothing to replay) · 1 failed, or Kafka no longer holds the range · 2 bad
settings · 3 interrupted by SIGTERM/SIGINT (writes are keyed by record: run again to finish)
"""

EXAMPLES = """\
examples:
  python -m jobs.replay kafka --bootstrap-servers 127.0.0.1:9092 \\
    --starting-offsets '{"orders": {"0": 1200, "1": 1180}}' \\
    --ending-offsets '{"orders": {"0": 5000, "1": 4990}}' --processor MODULE:OBJECT \\
    --backup-path /data/backup --dlq-path /data/dlq --output-path /data/orders
  python -m jobs.replay backup --from 2026-11-22T09 --to 2026-11-22T12 --topics orders ...
  python -m jobs.replay dlq --error-type InvalidJson,MissingField --dry-run ...
"""
MODE_EXAMPLES = dict(zip(("kafka", "backup", "dlq"), EXAMPLES.split("\n  python")[1:], strict=True))


@dataclass(frozen=True)
class ReplayConfig:
    mode: Mode
    processor: str
    backup_path: str
    dlq_path: str
    output_path: str | None = None
    output_topic: str | None = None
    ledger_path: str | None = None
    bootstrap_servers: str | None = None
    kafka_options: dict[str, str] = field(default_factory=dict)
    broker_timeout: float = 30.0
    topics: tuple[str, ...] = ()
    starting_offsets: dict[str, dict[int, int]] | None = None
    ending_offsets: dict[str, dict[int, int]] | None = None
    starting_timestamp_ms: int | None = None
    ending_timestamp_ms: int | None = None
    skip_backup: bool = False
    allow_missing: bool = False
    hours: HourRange | None = None
    error_types: tuple[str, ...] = ()
    chunk_records: int = 1_000_000
    max_record_bytes: int = 1_048_576
    record_timeout: float = 60.0
    timezone: str = "UTC"
    name: str = "kafka-stream"
    master: str = "local[2]"
    dry_run: bool = False

    def new_run_id(self) -> str:
        """Names the run in the ledger and in the DLQ rows it resolves."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.name}-{REPLAY_MODES[self.mode]}-{stamp}-{uuid.uuid4().hex[:6]}"

    def locations(self) -> dict[str, str | None]:
        """What the replay writes to, by flag."""
        return {
            "--backup-path": self.backup_path,
            "--dlq-path": self.dlq_path,
            "--output-path": self.output_path,
            "--ledger-path": self.ledger_path,
        }

    def describe(self) -> dict[str, object]:
        """The settings as printable data, secrets masked."""
        return described(self, "hours")


def build_parser() -> argparse.ArgumentParser:
    p = command_parser("python -m jobs.replay", DESCRIPTION, EXAMPLES + EXIT_CODES)
    modes = p.add_subparsers(dest="mode", required=True, metavar="kafka|backup|dlq")
    kafka = _common(_mode(modes, "kafka", "an offset or time range from Kafka"))
    kafka.add_argument("--starting-offsets", metavar="JSON", help='{"topic": {"0": 1200}}')
    kafka.add_argument("--ending-offsets", metavar="JSON", help="exclusive; default: latest")
    kafka.add_argument("--starting-timestamp", metavar="TIME", help="ISO time or epoch ms")
    kafka.add_argument("--ending-timestamp", metavar="TIME", help="exclusive; ISO or epoch ms")
    kafka.add_argument("--skip-backup", action="store_true", help="do not archive the records")
    kafka.add_argument(
        "--allow-missing",
        action="store_true",
        help="replay what Kafka still holds and report the hole, instead of failing",
    )
    for mode, what in (("backup", "archived hours"), ("dlq", "unresolved DLQ rows")):
        sub = _common(_mode(modes, mode, f"{what} from the Delta table"))
        add_hour_flags(sub)
        if mode == "dlq":
            sub.add_argument("--error-type", metavar="T1,T2", help="only these error types")
    return p


def _mode(modes, name: str, what: str) -> argparse.ArgumentParser:
    return modes.add_parser(
        name,
        help=what,
        description=f"python -m jobs.replay {name}: {what}.",
        epilog=f"example:\n  python{MODE_EXAMPLES[name].rstrip()}\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add_processor_flags(p, required=True)
    add_table_flags(p, required=("--backup-path", "--dlq-path"))
    p.add_argument("--output-topic", metavar="TOPIC", help="or: output Kafka topic")
    p.add_argument("--topics", metavar="T1,T2", help="only these topics")
    add_broker_flags(p, servers_help="Kafka brokers (to read a range or write a topic)")
    p.add_argument(
        "--chunk-records",
        metavar="N",
        help="records per Spark job (progress is shown per chunk; default 1000000)",
    )
    add_timezone_flag(p)
    p.add_argument("--name", help="job name in the ledger (default kafka-stream)")
    p.add_argument("--master", help="Spark master (default local[2])")
    add_config_flag(p)
    p.add_argument(
        "--dry-run", action="store_true", help="say what would be replayed; write nothing"
    )
    return p


def parse_replay_config(argv: list[str] | None = None) -> ReplayConfig:
    """The flags over the settings file, every bad value reported at once."""
    a = parse_with_settings_file(build_parser(), argv)
    problems = Problems()
    duration = _durations(a, problems)
    given = {
        "output_path": a.output_path,
        "output_topic": a.output_topic,
        "ledger_path": a.ledger_path,
        "bootstrap_servers": a.bootstrap_servers,
        "chunk_records": _parsed(problems, a, "--chunk-records", parse_count),
        "max_record_bytes": _parsed(problems, a, "--max-record-bytes", parse_count),
        "timezone": a.timezone,
        "name": a.name,
        "master": a.master,
        **duration,
    }
    mode_range = _kafka_range if a.mode == "kafka" else _table_range
    config = ReplayConfig(
        mode=a.mode,
        processor=a.processor,
        backup_path=a.backup_path,
        dlq_path=a.dlq_path,
        kafka_options=problems.value(lambda: parse_kafka_options(a.kafka_option or []), {}),
        topics=parse_topics(a.topics),
        dry_run=a.dry_run,
        **{k: v for k, v in given.items() if v is not None},
        **mode_range(a, problems),
    )
    check(config, problems)
    problems.raise_any()
    return config


def _durations(a: argparse.Namespace, problems: Problems) -> dict[str, float | None]:
    return {
        "broker_timeout": _parsed(problems, a, "--broker-timeout", parse_duration),
        "record_timeout": _parsed(problems, a, "--record-timeout", parse_duration),
    }


def _parsed(
    problems: Problems, a: argparse.Namespace, flag: str, parse: Callable[[str, str], T]
) -> T | None:
    """The flag's value parsed; None when it is not given, or bad (its problem added)."""
    text = getattr(a, flag.removeprefix("--").replace("-", "_"))
    return problems.value(lambda: parse(text, flag), None) if text else None


def _kafka_range(a: argparse.Namespace, problems: Problems) -> dict[str, object]:
    if (a.starting_offsets is None) == (a.starting_timestamp is None):
        problems.add("--starting-offsets", "give --starting-offsets (JSON) or --starting-timestamp")
    if a.ending_offsets is not None and a.ending_timestamp is not None:
        problems.add("--ending-offsets", "give --ending-offsets or --ending-timestamp")
    offsets, ms = parse_partition_offsets, parse_timestamp_ms
    return {
        "starting_offsets": _parsed(problems, a, "--starting-offsets", offsets),
        "ending_offsets": _parsed(problems, a, "--ending-offsets", offsets),
        "starting_timestamp_ms": _parsed(problems, a, "--starting-timestamp", ms),
        "ending_timestamp_ms": _parsed(problems, a, "--ending-timestamp", ms),
        "skip_backup": a.skip_backup,
        "allow_missing": a.allow_missing,
    }


def _table_range(a: argparse.Namespace, problems: Problems) -> dict[str, object]:
    if a.mode == "backup" and not (a.first_hour and a.last_hour):
        problems.add("--from", "a backup replay needs --from and --to (e.g. 2026-11-22T09)")
    error_types = getattr(a, "error_type", None) or ""
    return {
        "hours": problems.value(lambda: parse_hour_range(a.first_hour, a.last_hour), None),
        "error_types": tuple(t.strip() for t in error_types.split(",") if t.strip()),
    }


def check(c: ReplayConfig, problems: Problems) -> None:
    """Settings that only make sense together, each problem added to ``problems``."""
    problems.value(lambda: check_one_output(c.output_path, c.output_topic), None)
    if (c.mode == "kafka" or c.output_topic) and not c.bootstrap_servers:
        problems.add("--bootstrap-servers", "required to read or write Kafka")
    if c.starting_timestamp_ms is not None and not c.topics:
        problems.add("--topics", "a time range needs the topics to replay")
    if c.starting_offsets and c.topics and set(c.starting_offsets) - set(c.topics):
        problems.add("--topics", "--starting-offsets names topics not in --topics")
    if c.ending_offsets and c.starting_offsets and set(c.ending_offsets) - set(c.starting_offsets):
        problems.add("--ending-offsets", "names topics that --starting-offsets does not")
    if (
        c.starting_timestamp_ms is not None
        and c.ending_timestamp_ms is not None
        and c.ending_timestamp_ms < c.starting_timestamp_ms
    ):
        problems.add("--ending-timestamp", "is before --starting-timestamp: reversed range")
    for flag, value in (
        ("--chunk-records", c.chunk_records),
        ("--max-record-bytes", c.max_record_bytes),
    ):
        problems.value(lambda flag=flag, value=value: check_positive(flag, value), None)
    problems.value(lambda: check_timezone(c.timezone), None)
