"""The streaming job's settings: one frozen object, validated when it is built.

Pure: no Spark, no Kafka. Every problem is a ``ConfigError`` naming the setting as the user
wrote it (``--flag``), the value found and what would be right.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from jobs.config.problems import Problems
from jobs.config.values import (
    check_one_output,
    check_positive,
    check_timezone,
    described,
    parse_duration,
    parse_partition_offsets,
)
from jobs.core.error_tolerance import TOLERATE_ALL, ErrorTolerance
from jobs.core.errors import ConfigError

__all__ = ["JobConfig", "Trigger", "TriggerKind", "parse_stop_at_offsets", "parse_trigger"]

TriggerKind = Literal["processing-time", "available-now", "once"]
DLQ_TOPIC_HEADERS = ("dlq", "connect", "both")


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"processing-time={self.seconds:g}s" if self.kind == "processing-time" else self.kind


@dataclass(frozen=True)
class JobConfig:
    """Everything one run of the streaming job needs; see ``python -m jobs.stream --help``."""

    bootstrap_servers: str
    processor: str
    checkpoint: str
    backup_path: str
    dlq_path: str
    topics: tuple[str, ...] = ()
    topic_pattern: str | None = None
    output_path: str | None = None
    ledger_path: str | None = None
    output_topic: str | None = None
    dlq_topic: str | None = None
    trigger: Trigger = Trigger("processing-time", 10.0)
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = None
    max_record_bytes: int = 1_048_576
    record_timeout: float = 60.0
    timezone: str = "UTC"
    kafka_options: dict[str, str] = field(default_factory=dict)
    stop_at_offsets: dict[str, dict[int, int]] | None = None
    dev: bool = False
    resume_from_ledger: bool = False
    commit_group: str | None = None
    name: str = "kafka-stream"
    broker_timeout: float = 30.0
    master: str = "local[2]"
    checkpoint_lease: float = 30.0
    heartbeat: float = 300.0
    dlq_topic_headers: str = "dlq"
    errors_tolerance: ErrorTolerance = TOLERATE_ALL

    def __post_init__(self) -> None:
        """Every group of checks runs, so the problems of each are reported at once."""
        problems = Problems()
        checks = (_check_required, _check_source, _check_numbers, _check_names, _check_operations)
        for check in checks:
            problems.value(lambda check=check: check(self), None)
        problems.raise_any()

    def locations(self) -> dict[str, str | None]:
        """What the job writes to, by flag."""
        return {
            "--checkpoint": self.checkpoint,
            "--backup-path": self.backup_path,
            "--dlq-path": self.dlq_path,
            "--output-path": self.output_path,
            "--ledger-path": self.ledger_path,
        }

    def describe(self) -> dict[str, object]:
        """The settings as printable data, secrets masked."""
        return described(self, "trigger", "errors_tolerance")


def parse_trigger(text: str) -> Trigger:
    """``processing-time=10s`` (also ms, m, h; ``0`` runs batches back to back),
    ``available-now`` or ``once``."""
    kind, _, value = text.strip().partition("=")
    if kind in ("available-now", "once") and not value:
        return Trigger(kind)  # type: ignore[arg-type]
    if kind == "processing-time":
        return Trigger("processing-time", parse_duration(value, "--trigger"))
    raise ConfigError("--trigger", f"{text!r}; use processing-time=10s, available-now or once")


def parse_stop_at_offsets(text: str) -> dict[str, dict[int, int]]:
    """``{"topic": {"0": 100, "1": 250}}``: stop once each partition reached its offset."""
    return parse_partition_offsets(text, "--stop-at-offsets")


def _check_required(config: JobConfig) -> None:
    _require_all(
        (config.bootstrap_servers, "--bootstrap-servers", "host:port[,host:port…]"),
        (config.processor, "--processor", "package.module:object"),
        (config.checkpoint, "--checkpoint", "a directory path or URI"),
        (config.backup_path, "--backup-path", "a directory path or URI"),
        (config.dlq_path, "--dlq-path", "a directory path or URI"),
    )


def _check_names(config: JobConfig) -> None:
    check_one_output(config.output_path, config.output_topic)
    check_timezone(config.timezone)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", config.name):
        raise ConfigError("--name", f"{config.name!r}: use letters, digits, '.', '_' or '-'")
    if config.resume_from_ledger and not (config.ledger_path and config.topics):
        raise ConfigError(
            "--resume-from-ledger", "needs --ledger-path and --topics (not a pattern)"
        )
    for key in config.kafka_options:
        if key.startswith("kafka."):
            raise ConfigError("--kafka-option", f"give {key[6:]!r} without the 'kafka.' prefix")


def _require_all(*settings: tuple[object, str, str]) -> None:
    """The first missing setting, and the names of the others missing with it."""
    missing = [(flag, what) for value, flag, what in settings if not str(value or "").strip()]
    if missing:
        (flag, what), others = missing[0], [f for f, _ in missing[1:]]
        also = f" (also required: {', '.join(others)})" if others else ""
        raise ConfigError(flag, f"required; give {what}{also}")


def _check_source(config: JobConfig) -> None:
    if bool(config.topics) == bool(config.topic_pattern):
        raise ConfigError("--topics", "give either --topics (a comma list) or --topic-pattern")
    if config.topic_pattern:
        try:
            re.compile(config.topic_pattern)
        except re.error as e:
            raise ConfigError("--topic-pattern", f"not a valid regex ({e})") from None
    offsets = config.starting_offsets
    if offsets not in ("earliest", "latest"):
        try:
            per_partition = json.loads(offsets)
        except json.JSONDecodeError as e:
            raise ConfigError(
                "--starting-offsets", f"earliest, latest or per-partition JSON; {e.msg}"
            ) from None
        if not isinstance(per_partition, dict) or not per_partition:
            raise ConfigError(
                "--starting-offsets",
                f"{offsets!r}: earliest, latest or per-partition JSON, e.g. "
                '{"orders": {"0": 23}}',
            )
    if config.stop_at_offsets and config.topics:
        unknown = set(config.stop_at_offsets) - set(config.topics)
        if unknown:
            raise ConfigError("--stop-at-offsets", f"topics {sorted(unknown)} are not read")


def _check_numbers(config: JobConfig) -> None:
    positive = {
        "--max-offsets-per-trigger": config.max_offsets_per_trigger,
        "--max-record-bytes": config.max_record_bytes,
        "--broker-timeout": config.broker_timeout,
    }
    for flag, value in positive.items():
        check_positive(flag, value)
    if isinstance(config.record_timeout, bool) or not isinstance(
        config.record_timeout, int | float
    ):
        raise ConfigError("--record-timeout", f"must be a duration; got {config.record_timeout!r}")
    if config.record_timeout < 0:
        raise ConfigError("--record-timeout", "must not be negative (0 means no limit)")
    if config.trigger.seconds < 0:
        raise ConfigError("--trigger", "the interval must not be negative")


def _check_operations(config: JobConfig) -> None:
    if config.checkpoint_lease < 3:
        raise ConfigError("--checkpoint-lease", "must be at least 3s (renewed every third)")
    if config.heartbeat < 0:
        raise ConfigError("--heartbeat", "must not be negative (0: no heartbeat)")
    if config.dlq_topic_headers not in DLQ_TOPIC_HEADERS:
        raise ConfigError(
            "--dlq-topic-headers", f"{config.dlq_topic_headers!r}; use dlq, connect or both"
        )
    if config.dlq_topic_headers != "dlq" and not config.dlq_topic:
        raise ConfigError("--dlq-topic-headers", "needs --dlq-topic")
