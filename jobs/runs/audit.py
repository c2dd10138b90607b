"""One audit run: the Spark queries of the scope, the ledger checks and, optionally, what the
broker still holds, gathered into an ``AuditReport``."""

from __future__ import annotations

from pyspark.sql import SparkSession

from jobs.config.audit import AuditConfig
from jobs.core.audit_report import AuditReport, Problem, describe_gaps, problems_from_hours
from jobs.core.offsets import TopicPartition
from jobs.core.replay_plan import OffsetRange
from jobs.io.kafka_offsets import broker_offsets
from jobs.io.kafka_source import kafka_rows
from jobs.runs.audit_queries import AuditQueries

__all__ = ["audit"]


def audit(spark: SparkSession, config: AuditConfig) -> AuditReport:
    """Run every check of the scope, and compare with the broker when one is given."""
    queries = AuditQueries(spark, config)
    hours = queries.per_hour()
    report = AuditReport(describe_scope(config), hours)
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
    if config.bootstrap_servers:
        report.problems += compare_with_broker(spark, queries, config, report.notes)
    if config.output_path is None:
        report.notes.append("no --output-path: records not in the DLQ are taken as output")
    if not hours:
        report.notes.append("no records in the backup, DLQ or ledger for this scope")
    gaps_verified = config.bootstrap_servers is not None and not any(
        p.kind == "missing_from_backup" for p in report.problems
    )
    report.notes += describe_gaps(queries.gaps(), gaps_verified)
    return report


def compare_with_broker(
    spark: SparkSession, queries: AuditQueries, config: AuditConfig, notes: list[str]
) -> list[Problem]:
    """Records the broker still holds, in the offsets the job read, that the backup lacks."""
    servers, options = str(config.bootstrap_servers), config.kafka_options
    coverage = queries.coverage()
    if not coverage:
        return []
    with broker_offsets(servers, options, config.broker_timeout) as offsets:
        partitions = sorted(coverage)
        earliest, latest = offsets.earliest(partitions), offsets.latest(partitions)
    ranges = retained_ranges(coverage, earliest, latest, notes)
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


def retained_ranges(
    coverage: dict[TopicPartition, tuple[int, int]],
    earliest: dict[TopicPartition, int],
    latest: dict[TopicPartition, int],
    notes: list[str],
) -> list[OffsetRange]:
    """The covered offsets the broker still holds; a note for each partition cut by retention."""
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
    return ranges


def describe_scope(config: AuditConfig) -> str:
    hours = f"hours {config.hours}" if config.hours else "all hours"
    topics = ", ".join(config.topics) if config.topics else "all topics"
    compared = (
        f"compared with the broker at {config.bootstrap_servers}"
        if config.bootstrap_servers
        else "broker not compared"
    )
    return f"{hours}, {topics}; {compared}"
