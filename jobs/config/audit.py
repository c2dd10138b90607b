"""The audit's settings and command line: ``python -m jobs.audit``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from jobs.config.flags import (
    add_broker_flags,
    add_hour_flags,
    add_table_flags,
    add_timezone_flag,
    command_parser,
)
from jobs.config.problems import Problems
from jobs.config.settings_file import add_config_flag, parse_with_settings_file
from jobs.config.values import (
    check_timezone,
    described,
    parse_duration,
    parse_hour_range,
    parse_kafka_options,
    parse_topics,
)
from jobs.core.replay_plan import HourRange

__all__ = ["AuditConfig", "build_parser", "parse_audit_config"]

EPILOG = """\
A record is accounted for by its output rows, one DLQ row (resolved or not), or the ledger's
list of records the processor filtered. Offset holes are reported as notes: transaction
markers and compaction leave them. With --bootstrap-servers, what the broker still holds in
the offsets the job read is compared with the backup, and records it lacks are problems.

settings file (--config): TOML or JSON with the flag names as keys; flags given here win.

exit codes: 0 clean · 1 problems found (or the audit could not run) · 2 bad settings ·
3 stopped by SIGTERM/SIGINT

example:
  python -m jobs.audit --backup-path /data/backup --dlq-path /data/dlq \
    --ledger-path /data/ledger --output-path /data/orders --from 2026-11-22T09 \
    --to 2026-11-22T12 --bootstrap-servers 127.0.0.1:9092
"""


@dataclass(frozen=True)
class AuditConfig:
    """What is audited (tables, hours, topics) and, optionally, the broker to compare with."""

    backup_path: str
    dlq_path: str
    ledger_path: str
    output_path: str | None = None
    hours: HourRange | None = None
    topics: tuple[str, ...] = ()
    timezone: str = "UTC"
    bootstrap_servers: str | None = None
    kafka_options: dict[str, str] = field(default_factory=dict)
    broker_timeout: float = 30.0
    json: bool = False
    master: str = "local[2]"

    def locations(self) -> dict[str, str | None]:
        """The tables it reads, by flag."""
        return {
            "--backup-path": self.backup_path,
            "--dlq-path": self.dlq_path,
            "--ledger-path": self.ledger_path,
            "--output-path": self.output_path,
        }

    def describe(self) -> dict[str, object]:
        """The settings as printable data, secrets masked."""
        return described(self, "hours")


def build_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "python -m jobs.audit",
        "Check that nothing was lost or doubled, per topic-partition and hour.",
        EPILOG,
    )
    add_table_flags(p, required=("--backup-path", "--dlq-path", "--ledger-path"))
    add_hour_flags(p)
    p.add_argument("--topics", metavar="T1,T2", help="only these topics")
    add_broker_flags(p, servers_help="compare with what these brokers hold")
    add_timezone_flag(p)
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    add_config_flag(p)
    return p


def parse_audit_config(argv: list[str] | None = None) -> AuditConfig:
    """The flags over the settings file, every bad value reported at once."""
    a = parse_with_settings_file(build_parser(), argv)
    problems = Problems()
    p = problems.value
    config = AuditConfig(
        backup_path=a.backup_path,
        dlq_path=a.dlq_path,
        ledger_path=a.ledger_path,
        output_path=a.output_path,
        hours=p(lambda: parse_hour_range(a.first_hour, a.last_hour), None),
        topics=parse_topics(a.topics),
        timezone=p(lambda: check_timezone(a.timezone or "UTC"), "UTC"),
        bootstrap_servers=a.bootstrap_servers,
        kafka_options=p(lambda: parse_kafka_options(a.kafka_option or []), {}),
        broker_timeout=p(
            lambda: parse_duration(a.broker_timeout or "30s", "--broker-timeout"),
            AuditConfig.broker_timeout,
        ),
        json=a.json,
        master=a.master,
    )
    problems.raise_any()
    return config
