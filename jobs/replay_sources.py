"""Where a replay reads its records: a Kafka offset range, archived hours, or the DLQ.

Each reader returns rows shaped like Spark's Kafka source (``key, value, topic, partition,
offset, timestamp, timestampType, headers``), so the replay runs the stream's own pipeline, and
the original coordinates and timestamps are kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.core.columns import KAFKA_SHAPE
from jobs.core.errors import ConfigError
from jobs.core.partitioning import partition_values
from jobs.core.replay_plan import HourRange, OffsetRange


def kafka_rows(
    spark: SparkSession,
    bootstrap_servers: str,
    kafka_options: dict[str, str],
    chunk: list[OffsetRange],
) -> DataFrame:
    """The records of ``chunk``'s offset ranges, read in one Spark batch query."""
    assign: dict[str, list[int]] = {}
    starting: dict[str, dict[str, int]] = {}
    ending: dict[str, dict[str, int]] = {}
    for r in chunk:
        assign.setdefault(r.topic, []).append(r.partition)
        starting.setdefault(r.topic, {})[str(r.partition)] = r.start
        ending.setdefault(r.topic, {})[str(r.partition)] = r.end
    reader = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("assign", json.dumps(assign))
        .option("startingOffsets", json.dumps(starting))
        .option("endingOffsets", json.dumps(ending))
        .option("includeHeaders", "true")
    )
    for key, value in kafka_options.items():
        reader = reader.option(f"kafka.{key}", value)
    return reader.load()


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
    return rows.dropDuplicates(["topic", "partition", "offset"])


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


def check_zone(spark: SparkSession, backup_path: str, zone: str) -> None:
    """Refuse a ``--timezone`` other than the one the archive was partitioned in: replayed rows
    would land in other hour partitions than the stream's, and keyed writes look there."""
    if not DeltaTable.isDeltaTable(spark, backup_path):
        return
    table = spark.read.format("delta").load(backup_path)
    row = table.select(F.unix_micros("timestamp").alias("micros"), "date", "hour").first()
    if row is None:
        return
    moment = datetime.fromtimestamp(row["micros"] / 1e6, UTC)
    if (row["date"], row["hour"]) != partition_values(moment, zone):
        raise ConfigError(
            "--timezone",
            f"the backup table at {backup_path} is partitioned in another zone than {zone!r} "
            f"(a record of {moment:%Y-%m-%d %H:%M} UTC is in {row['date']} hour {row['hour']});"
            " give the --timezone the streaming job uses",
        )
