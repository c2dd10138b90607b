"""The audit's command line: ``python -m jobs.audit``."""

from __future__ import annotations

import argparse

EPILOG = """\
A record is accounted for by its output rows, one DLQ row (resolved or not), or the ledger's
list of records the processor filtered. Offset holes are reported as notes: transaction
markers and compaction leave them. With --bootstrap-servers, what the broker still holds in
the offsets the job read is compared with the backup, and records it lacks are problems.

exit codes: 0 clean · 1 problems found (or the audit could not run) · 2 bad settings
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jobs.audit",
        description="Check that nothing was lost or doubled, per topic-partition and hour.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--backup-path", metavar="PATH", required=True)
    p.add_argument("--dlq-path", metavar="PATH", required=True)
    p.add_argument("--ledger-path", metavar="PATH", required=True)
    p.add_argument("--output-path", metavar="PATH", help="output Delta table (if the job has one)")
    p.add_argument("--from", dest="first_hour", metavar="HOUR", help="2026-11-22T09")
    p.add_argument("--to", dest="last_hour", metavar="HOUR", help="inclusive")
    p.add_argument("--topics", metavar="T1,T2", help="only these topics")
    p.add_argument("--bootstrap-servers", metavar="HOST:PORT", help="compare with the broker")
    p.add_argument("--kafka-option", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--broker-timeout", default="30s", metavar="DURATION")
    p.add_argument("--timezone", default="UTC", help="zone of the date/hour partitions")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--master", default="local[2]")
    return p
