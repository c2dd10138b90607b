"""Table maintenance's command line and settings: ``python -m jobs.maintain``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import timedelta

from jobs.config.flags import add_timezone_flag, command_parser
from jobs.config.problems import Problems
from jobs.config.settings_file import add_config_flag, parse_with_settings_file
from jobs.config.values import absolute_location, check_timezone, parse_duration
from jobs.core.maintenance_plan import parse_retention

__all__ = ["MaintainConfig", "TableSpec", "build_parser", "parse_settings"]

DESCRIPTION = """\
Look after the job's Delta tables while the stream writes them:
  compact   closed hours of backup, DLQ and output (one OPTIMIZE per hour partition, bin-
            packing: the micro-batches' small files become a few large ones); the ledger,
            which has no partitions, as a whole; hours still being written are left alone
  retention drop the hours older than --<table>-retention (none by default: keep everything)
  vacuum    with --vacuum, delete the files no table version within Delta's retention
            (delta.deletedFileRetentionDuration, 7 days by default) refers to
Concurrent commits of the stream are retried; nothing the stream wrote is lost, and the audit
(python -m jobs.audit) stays clean. Hours dropped by a retention are gone from the audit too:
audit with --from after the shortest retention.
"""

EPILOG = """\
An hour is closed once it ended more than --grace ago in --timezone (the zone the stream
partitions in). Run it every hour or every day, e.g. from cron; two runs at once only repeat work.

exit codes: 0 done (or nothing to do) · 1 failed · 2 bad settings · 3 interrupted by
SIGTERM/SIGINT (every compaction and deletion commits whole: run again to finish)

example:
  python -m jobs.maintain --backup-path /data/backup --dlq-path /data/dlq \\
    --output-path /data/orders --ledger-path /data/ledger \\
    --backup-retention 30d --dlq-retention 90d --vacuum --dry-run
"""

TABLES = ("backup", "dlq", "output", "ledger")


@dataclass(frozen=True)
class TableSpec:
    name: str
    path: str
    retention: timedelta | None = None

    @property
    def partitioned(self) -> bool:
        return self.name != "ledger"

    @property
    def flag(self) -> str:
        return f"--{self.name}-path"


@dataclass(frozen=True)
class MaintainConfig:
    tables: tuple[TableSpec, ...]
    timezone: str = "UTC"
    grace: timedelta = timedelta(minutes=10)
    vacuum: bool = False
    dry_run: bool = False
    json: bool = False
    master: str = "local[2]"

    def locations(self) -> dict[str, str | None]:
        """The tables it rewrites, by flag."""
        return {t.flag: t.path for t in self.tables}

    def describe(self) -> dict[str, object]:
        return {
            "tables": {t.name: [t.path, str(t.retention or "keep")] for t in self.tables},
            "timezone": self.timezone,
            "grace": str(self.grace),
            "vacuum": self.vacuum,
            "dry_run": self.dry_run,
        }


def build_parser() -> argparse.ArgumentParser:
    p = command_parser("python -m jobs.maintain", DESCRIPTION, EPILOG)
    for name in TABLES:
        p.add_argument(
            f"--{name}-path", metavar="PATH", type=absolute_location, help=f"the {name} Delta table"
        )
    for name in TABLES:
        p.add_argument(
            f"--{name}-retention",
            default="none",
            metavar="AGE",
            help=f"drop {name} hours older than this: 30d, 72h or none (default)",
        )
    add_timezone_flag(p)
    p.add_argument(
        "--grace",
        default="10m",
        metavar="DURATION",
        help="an hour is closed this long after it ended (default 10m)",
    )
    p.add_argument("--vacuum", action="store_true", help="also VACUUM each table")
    p.add_argument("--dry-run", action="store_true", help="plan and report; change nothing")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--master", default="local[2]", help="Spark master outside spark-submit")
    add_config_flag(p)
    return p


def parse_settings(argv: list[str] | None = None) -> MaintainConfig:
    """The flags over the settings file, every bad value reported at once."""
    args = parse_with_settings_file(build_parser(), argv)
    problems = Problems()
    tables = tuple(
        TableSpec(name, path, problems.value(lambda name=name: _retention(args, name), None))
        for name in TABLES
        if (path := getattr(args, f"{name}_path"))
    )
    for name in TABLES:
        if getattr(args, f"{name}_retention") != "none" and not getattr(args, f"{name}_path"):
            problems.add(f"--{name}-retention", f"needs --{name}-path")
    if not tables:
        problems.add("--backup-path", "give at least one table: --backup-path, --dlq-path …")
    timezone = problems.value(lambda: check_timezone(args.timezone or "UTC"), "UTC")
    grace = problems.value(lambda: parse_duration(args.grace, "--grace"), 0.0)
    problems.raise_any()
    return MaintainConfig(
        tables,
        timezone,
        timedelta(seconds=grace),
        args.vacuum,
        args.dry_run,
        args.json,
        args.master,
    )


def _retention(args: argparse.Namespace, name: str) -> timedelta | None:
    return parse_retention(getattr(args, f"{name}_retention"), f"--{name}-retention")
