"""Flag groups the jobs share, declared once: tables, Kafka access, the processor, hours, time zone;
and the parser every command starts from.

No defaults here: ``python -m jobs.stream`` merges the flags over a settings file, so a flag not
given must stay absent; each job's settings object holds the defaults.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection

from jobs.config.values import absolute_location

__all__ = [
    "add_broker_flags",
    "add_hour_flags",
    "add_processor_flags",
    "add_table_flags",
    "add_timezone_flag",
    "command_parser",
]

Group = argparse.ArgumentParser | argparse._ArgumentGroup
_TABLES = {
    "--backup-path": "backup Delta table: every record read",
    "--dlq-path": "DLQ Delta table: the records that failed, with the error",
    "--output-path": "output Delta table: the processor's rows",
    "--ledger-path": "ledger Delta table: per batch and partition, offsets and counts (audits)",
}


def command_parser(
    prog: str, description: str, epilog: str, **options: object
) -> argparse.ArgumentParser:
    """A command's parser; its description and epilog (examples, the settings file, exit codes)
    are shown as written, line breaks kept."""
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )


def add_table_flags(group: Group, *, required: Collection[str] = ()) -> None:
    """``--backup-path``, ``--dlq-path``, ``--output-path``, ``--ledger-path``."""
    for flag, help_text in _TABLES.items():
        group.add_argument(
            flag,
            metavar="PATH",
            type=absolute_location,
            help=f"{help_text}; a local path is made absolute",
            required=flag in required,
        )


def add_broker_flags(group: Group, *, servers_help: str = "Kafka brokers") -> None:
    """``--bootstrap-servers``, ``--kafka-option`` (repeatable), ``--broker-timeout``."""
    group.add_argument("--bootstrap-servers", metavar="HOST:PORT[,…]", help=servers_help)
    group.add_argument(
        "--kafka-option",
        action="append",
        metavar="KEY=VALUE",
        help="Kafka client option passed unchanged, e.g. security.protocol=SASL_SSL "
        "(repeatable; values of secret-looking keys are never printed)",
    )
    group.add_argument(
        "--broker-timeout",
        metavar="DURATION",
        help="give up when no broker answers within this (default 30s)",
    )


def add_processor_flags(group: Group, *, required: bool = False) -> None:
    """``--processor``, ``--max-record-bytes``, ``--record-timeout``."""
    group.add_argument(
        "--processor", metavar="MODULE:OBJECT", help="the record processor", required=required
    )
    group.add_argument(
        "--max-record-bytes",
        metavar="N",
        help="records whose key+value is larger go to the DLQ as RecordTooLarge (default 1 MiB)",
    )
    group.add_argument(
        "--record-timeout",
        metavar="DURATION",
        help="a record the processor spends longer on goes to the DLQ as Timeout "
        "(default 60s; 0: no limit)",
    )


def add_timezone_flag(group: Group) -> None:
    group.add_argument(
        "--timezone", metavar="ZONE", help="time zone of the date/hour partitions (default UTC)"
    )


def add_hour_flags(group: Group) -> None:
    """``--from``/``--to``: an inclusive range of hour partitions."""
    group.add_argument("--from", dest="first_hour", metavar="HOUR", help="e.g. 2026-11-22T09")
    group.add_argument("--to", dest="last_hour", metavar="HOUR", help="inclusive")
