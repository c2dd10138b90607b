"""Reads of the job's Delta tables: what replays, ``--resume-from-ledger`` and the audit read.

Rows meant for the pipeline come back shaped like Spark's Kafka source (``as_kafka_rows``), so a
replay runs the stream's own pipeline with the original coordinates and timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.core.columns import KAFKA_SHAPE, RECORD_KEY
from jobs.core.errors import ConfigError
from jobs.core.ledger import RESUMING_MODES
from jobs.core.offsets import TopicPartition
from jobs.core.partitioning import partition_values
from jobs.core.replay_plan import HourRange

__all__ = [
    "archived",
    "as_kafka_rows",
    "backup_ends",
    "check_archive_timezone",
    "failed",
    "in_hours",
    "ledger_ends",
    "of_topics",
    "read_table",
    "unrecorded",
]


def in_hours(hours: HourRange | None) -> Column:
    """True for rows whose partition columns fall in ``hours`` (prunes partitions)."""
    if hours is None:
        return F.lit(True)
    first, last = hours.bounds
    return F.concat_ws("T", "date", "hour").between(first, last)


def of_topics(topics: tuple[str, ...]) -> Column:
    return F.col("topic").isin(list(topics)) if topics else F.lit(True)


def archived(spark: SparkSession, backup_path: str, hours: HourRange | None, topics) -> DataFrame:
    """Backup rows of the hours and topics, deduplicated by coordinates."""
    rows = read_table(spark, backup_path, "--backup-path").where(
        in_hours(hours) & of_topics(topics)
    )
    return rows.dropDuplicates(list(RECORD_KEY))


def failed(
    spark: SparkSession,
    dlq_path: str,
    hours: HourRange | None,
    topics: tuple[str, ...],
    error_types: tuple[str, ...],
) -> DataFrame:
    """Unresolved DLQ rows of the hours, topics and error types."""
    rows = read_table(spark, dlq_path, "--dlq-path").where(
        in_hours(hours) & of_topics(topics) & F.col("resolved_at").isNull()
    )
    if error_types:
        rows = rows.where(F.col("error_type").isin(list(error_types)))
    return rows


def read_table(spark: SparkSession, path: str, setting: str) -> DataFrame:
    if not DeltaTable.isDeltaTable(spark, path):
        raise ConfigError(setting, f"{path} is not a Delta table")
    return spark.read.format("delta").load(path)


def as_kafka_rows(rows: DataFrame) -> DataFrame:
    return rows.withColumnRenamed("timestamp_type", "timestampType").select(*KAFKA_SHAPE)


def check_archive_timezone(spark: SparkSession, backup_path: str, timezone: str) -> None:
    """Refuse a ``--timezone`` other than the one the archive was partitioned in: replayed rows
    would land in other hour partitions than the stream's, and keyed writes look there."""
    if not DeltaTable.isDeltaTable(spark, backup_path):
        return
    table = spark.read.format("delta").load(backup_path)
    row = table.select(F.unix_micros("timestamp").alias("micros"), "date", "hour").first()
    if row is None:
        return
    moment = datetime.fromtimestamp(row["micros"] / 1e6, UTC)
    if (row["date"], row["hour"]) != partition_values(moment, timezone):
        raise ConfigError(
            "--timezone",
            f"the backup table at {backup_path} is partitioned in another zone than {timezone!r} "
            f"(a record of {moment:%Y-%m-%d %H:%M} UTC is in {row['date']} hour {row['hour']});"
            " give the --timezone the streaming job uses",
        )


def ledger_ends(
    spark: SparkSession, ledger_path: str, job_name: str, topics: tuple[str, ...]
) -> dict[TopicPartition, int]:
    """Per topic-partition, one past the last offset the job's stream fully recorded."""
    if not DeltaTable.isDeltaTable(spark, ledger_path):
        return {}
    rows = (
        spark.read.format("delta")
        .load(ledger_path)
        .where(
            (F.col("job_name") == job_name)
            & F.col("mode").isin(list(RESUMING_MODES))
            & F.col("topic").isin(list(topics))
        )
        .groupBy("topic", "partition")
        .agg(F.max("last_offset").alias("last"))
        .collect()
    )
    return {(r["topic"], r["partition"]): r["last"] + 1 for r in rows}


def unrecorded(
    spark: SparkSession, backup_path: str, topics: tuple[str, ...], ends: dict[TopicPartition, int]
) -> DataFrame | None:
    """Backup rows of ``topics`` at or past the ledger's end offsets (all rows of partitions
    the ledger does not know)."""
    if not DeltaTable.isDeltaTable(spark, backup_path):
        return None
    backup = spark.read.format("delta").load(backup_path).where(F.col("topic").isin(list(topics)))
    past_end = F.lit(True)
    if ends:
        known = spark.createDataFrame(
            [(t, p, e) for (t, p), e in ends.items()], "topic STRING, partition INT, end LONG"
        )
        backup = backup.join(F.broadcast(known), ["topic", "partition"], "left")
        past_end = F.col("end").isNull() | (F.col("offset") >= F.col("end"))
    return backup.where(past_end).drop("end").dropDuplicates(list(RECORD_KEY))


def backup_ends(rows: DataFrame) -> dict[TopicPartition, int]:
    found = rows.groupBy("topic", "partition").agg(F.max("offset").alias("last")).collect()
    return {(r["topic"], r["partition"]): r["last"] + 1 for r in found}
