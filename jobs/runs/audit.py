"""One audit run: the Spark queries of the scope, the ledger checks and, optionally, what the
broker still holds, gathered into an ``AuditReport``."""

from __future__ import annotations

from jobs.core.audit_report import AuditReport, Problem, describe_gaps, problems_from_hours
from jobs.core.replay_plan import OffsetRange
from jobs.io.kafka_offsets import broker_offsets
from jobs.io.kafka_source import kafka_rows
from jobs.runs.audit_queries import AuditQueries


def audit(spark, scope, broker=None) -> AuditReport:
    """Run every check of the scope; ``broker`` = (bootstrap servers, options, timeout)."""
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
