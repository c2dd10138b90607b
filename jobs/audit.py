"""Completeness audit: ``python -m jobs.audit``. Proves, per topic-partition and hour, that
every backed-up record is accounted for exactly once, and nothing is doubled.

exit codes: 0 clean · 1 a problem found (or the audit could not run) · 2 bad settings
"""

from __future__ import annotations

import argparse
import logging
import sys

from jobs.config.audit import build_parser
from jobs.config.values import parse_duration, parse_hour_range, parse_kafka_options, redact
from jobs.core.audit_report import AuditReport, Problem, describe_gaps, problems_from_hours
from jobs.core.errors import ConfigError, JobError
from jobs.core.partitioning import is_known_zone

log = logging.getLogger("jobs.audit")


def main(argv: list[str] | None = None) -> int:
    from jobs.stream import configure_logging

    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        scope, broker = settings(args)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    from jobs.io.spark_session import build_spark_session

    spark = build_spark_session("kafka-audit", args.master)
    try:
        report = audit(spark, scope, broker)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    print(report.to_json() if args.json else report.to_text(), flush=True)
    return report.exit_code


def settings(args: argparse.Namespace):
    from jobs.audit_checks import AuditScope

    if not is_known_zone(args.timezone):
        raise ConfigError("--timezone", f"unknown zone {args.timezone!r}")
    scope = AuditScope(
        backup_path=args.backup_path,
        dlq_path=args.dlq_path,
        ledger_path=args.ledger_path,
        output_path=args.output_path,
        hours=parse_hour_range(args.first_hour, args.last_hour),
        topics=tuple(t.strip() for t in (args.topics or "").split(",") if t.strip()),
        timezone=args.timezone,
    )
    broker = None
    if args.bootstrap_servers:
        broker = (
            args.bootstrap_servers,
            parse_kafka_options(args.kafka_option),
            parse_duration(args.broker_timeout, "--broker-timeout"),
        )
        log.info("comparing with the broker at %s, options %s", broker[0], redact(broker[1]))
        from jobs.io.kafka_client import list_topics

        list_topics(*broker)
    return scope, broker


def audit(spark, scope, broker=None) -> AuditReport:
    """Run every check of the scope; ``broker`` = (bootstrap servers, options, timeout)."""
    from jobs.audit_checks import AuditQueries

    queries = AuditQueries(spark, scope)
    hours = queries.per_hour()
    report = AuditReport(describe_scope(scope, broker), hours)
    report.problems += problems_from_hours(hours, list(queries.problems()))
    report.problems += [
        Problem(
            "ledger_shortfall",
            r["topic"],
            r["partition"],
            r["date"],
            r["hour"],
            r["backed_up"] - r["in_backup"],
            [r["first_offset"], r["last_offset"]],
        )
        for r in queries.ledger_shortfalls()
    ]
    report.problems += [
        Problem("ledger_doubled", r["topic"], r["partition"], r["date"], r["hour"], r["count"])
        for r in queries.ledger_doubles()
    ]
    if broker:
        report.problems += compare_with_broker(spark, queries, broker, report.notes)
    if scope.output_path is None:
        report.notes.append("no --output-path: records not in the DLQ are taken as output")
    if not hours:
        report.notes.append("no records in the backup, DLQ or ledger for this scope")
    gaps_verified = broker is not None and not any(
        p.kind == "missing_from_backup" for p in report.problems
    )
    report.notes += describe_gaps(queries.gaps(), gaps_verified)
    return report


def compare_with_broker(spark, queries, broker, notes: list[str]) -> list[Problem]:
    from jobs.core.replay_plan import OffsetRange
    from jobs.io.kafka_offsets import broker_offsets
    from jobs.io.kafka_source import kafka_rows

    servers, options, timeout = broker
    coverage = queries.coverage()
    if not coverage:
        return []
    with broker_offsets(servers, options, timeout) as offsets:
        partitions = sorted(coverage)
        earliest, latest = offsets.earliest(partitions), offsets.latest(partitions)
    ranges = []
    for tp, (start, end) in coverage.items():
        if earliest[tp] > start:
            notes.append(
                f"{tp[0]}[{tp[1]}]: the broker no longer holds offsets {start}..{earliest[tp] - 1}"
                " (retention); compared from there"
            )
        kept = OffsetRange(tp[0], tp[1], max(start, earliest[tp]), min(end, latest[tp]))
        if kept.size:
            ranges.append(kept)
    if not ranges:
        return []
    missing = queries.missing_from_backup(kafka_rows(spark, servers, options, ranges))
    return [
        Problem(
            "missing_from_backup",
            m["topic"],
            m["partition"],
            m["date"],
            m["hour"],
            m["count"],
            list(m["offsets"]),
        )
        for m in missing
    ]


def describe_scope(scope, broker) -> str:
    hours = f"hours {scope.hours}" if scope.hours else "all hours"
    topics = ", ".join(scope.topics) if scope.topics else "all topics"
    compared = f"compared with the broker at {broker[0]}" if broker else "broker not compared"
    return f"{hours}, {topics}; {compared}"


if __name__ == "__main__":
    sys.exit(main())
