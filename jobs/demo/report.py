"""A human summary of the backup, output and DLQ Delta tables the job writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.io.paths import local_path

__all__ = ["DemoReport", "format_report", "table_report"]

HourKey = tuple[str, str]
MAX_HOUR_ROWS = 10


@dataclass
class DemoReport:
    rows_per_hour: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    dlq_by_error_type: dict[str, int] = field(default_factory=dict)
    backed_up: int = 0
    output: int = 0
    dlq: int = 0


def table_report(
    spark: SparkSession, *, backup_path: str, output_path: str, dlq_path: str
) -> DemoReport:
    """Row counts per (date, hour) of the three tables; a table not written yet counts as empty."""
    backup = _counts_per_hour(spark, backup_path)
    output = _counts_per_hour(spark, output_path)
    dlq = _counts_per_hour(spark, dlq_path)
    hours = sorted(backup.keys() | output.keys() | dlq.keys())
    return DemoReport(
        rows_per_hour=[(*k, backup.get(k, 0), output.get(k, 0), dlq.get(k, 0)) for k in hours],
        dlq_by_error_type=_dlq_by_error_type(spark, dlq_path),
        backed_up=sum(backup.values()),
        output=sum(output.values()),
        dlq=sum(dlq.values()),
    )


def format_report(report: DemoReport, *, backup_path: str, output_path: str, dlq_path: str) -> str:
    lines = [
        *_hour_table(report),
        "",
        *_error_table(report),
        "",
        *_where_and_how(report, backup=backup_path, output=output_path, dlq=dlq_path),
    ]
    return "\n".join(lines)


def delta_table_exists(spark: SparkSession, path: str) -> bool:
    """Local paths are checked on disk, without a Spark job; others (s3a://, ...) through Delta."""
    local = local_path(path)
    if local is not None:
        return (local / "_delta_log").is_dir()
    return DeltaTable.isDeltaTable(spark, path)


def _counts_per_hour(spark: SparkSession, path: str) -> dict[HourKey, int]:
    if not delta_table_exists(spark, path):
        return {}
    rows = spark.read.format("delta").load(path).groupBy("date", "hour").count().collect()
    return {(row["date"], row["hour"]): row["count"] for row in rows}


def _dlq_by_error_type(spark: SparkSession, path: str) -> dict[str, int]:
    if not delta_table_exists(spark, path):
        return {}
    rows = spark.read.format("delta").load(path).groupBy("error_type").count().collect()
    counts = {str(row["error_type"]): row["count"] for row in rows}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _hour_table(report: DemoReport) -> list[str]:
    header = f"{'date':<12}{'hour':<6}{'backup':>10}{'output':>10}{'dlq':>10}"
    body = [
        f"{date:<12}{hour:<6}{backup:>10,}{output:>10,}{dlq:>10,}"
        for date, hour, backup, output, dlq in report.rows_per_hour
    ]
    total = f"{'total':<18}{report.backed_up:>10,}{report.output:>10,}{report.dlq:>10,}"
    rule = "-" * len(header)
    return ["Rows per table per hour", header, rule, *_shorten(body), rule, total]


def _shorten(body: list[str]) -> list[str]:
    """Keep the report short when the tables span many hours: first and last hours only."""
    if len(body) <= MAX_HOUR_ROWS:
        return body
    keep = MAX_HOUR_ROWS // 2
    return [*body[:keep], f"  ... {len(body) - 2 * keep} more hours ...", *body[-keep:]]


def _error_table(report: DemoReport) -> list[str]:
    if not report.dlq_by_error_type:
        return ["DLQ rows per error_type: none"]
    return [
        "DLQ rows per error_type",
        *(f"  {name:<24}{count:>10,}" for name, count in report.dlq_by_error_type.items()),
    ]


def _where_and_how(report: DemoReport, **paths: str) -> list[str]:
    date, hour = _example_hour(report)
    where = f"date = '{date}' AND hour = '{hour}'"
    return [
        "Delta tables (partitioned by date, hour)",
        *(f"  {name:<8}{path}" for name, path in paths.items()),
        "",
        "Query them from a pyspark session with Delta, for example:",
        *(
            f'  spark.read.format("delta").load("{path}").where("{where}").show()'
            for path in paths.values()
        ),
        f'  spark.read.format("delta").load("{paths["dlq"]}").groupBy("error_type").count().show()',
        "",
        "Or in one line, from the repository root:",
        '  .venv/bin/python -c "from jobs.io.spark_session import build_spark_session as b; '
        f"b().read.format('delta').load('{paths['output']}').where(\\\"{where}\\\").show()\"",
    ]


def _example_hour(report: DemoReport) -> HourKey:
    """The busiest hour, so the example queries return rows."""
    if not report.rows_per_hour:
        return ("2026-01-01", "00")
    busiest = max(report.rows_per_hour, key=lambda r: r[2] + r[3] + r[4])
    return busiest[0], busiest[1]
