"""The ledger: per batch and topic-partition, the offsets read and where every record went.

Written after the tables, in the same idempotent way (``txnAppId``/``txnVersion``), so a
replayed batch adds no second ledger row. The audit reads it beside the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from jobs.batch_stats import PartitionStats

LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("job_name", T.StringType()),
        T.StructField("mode", T.StringType()),
        T.StructField("batch_id", T.LongType()),
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.IntegerType()),
        T.StructField("first_offset", T.LongType()),
        T.StructField("last_offset", T.LongType()),
        T.StructField("read", T.LongType()),
        T.StructField("backed_up", T.LongType()),
        T.StructField("output_rows", T.LongType()),
        T.StructField("filtered", T.LongType()),
        T.StructField("dlq", T.LongType()),
        T.StructField("started_at", T.TimestampType()),
        T.StructField("ended_at", T.TimestampType()),
    ]
)


def ledger_rows(
    spark: SparkSession,
    batch_id: int,
    partitions: Sequence[PartitionStats],
    *,
    job_name: str,
    mode: str,
    started_at: datetime,
    ended_at: datetime,
) -> DataFrame:
    rows = [
        (
            job_name,
            mode,
            batch_id,
            p.topic,
            p.partition,
            p.first_offset,
            p.last_offset,
            p.read,
            p.read,
            p.output,
            p.filtered,
            p.dlq,
            started_at,
            ended_at,
        )
        for p in partitions
    ]
    return spark.createDataFrame(rows, LEDGER_SCHEMA)
