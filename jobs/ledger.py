"""The ledger: per run, batch, topic-partition and hour, the offsets read and where every
record went.

The streaming job writes it after the tables, in the same idempotent way (``txnAppId``/
``txnVersion``), so a replayed batch adds no second row; replays append one row per chunk.
The audit reads it beside the tables, and ``--resume-from-ledger`` restarts from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from jobs.batch_stats import PartitionStats

LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("job_name", T.StringType()),
        T.StructField("mode", T.StringType()),
        T.StructField("run_id", T.StringType()),
        T.StructField("batch_id", T.LongType()),
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.IntegerType()),
        T.StructField("date", T.StringType()),
        T.StructField("hour", T.StringType()),
        T.StructField("first_offset", T.LongType()),
        T.StructField("last_offset", T.LongType()),
        T.StructField("read", T.LongType()),
        T.StructField("backed_up", T.LongType()),
        T.StructField("output_rows", T.LongType()),
        T.StructField("filtered", T.LongType()),
        T.StructField("dlq", T.LongType()),
        T.StructField("filtered_offsets", T.ArrayType(T.LongType())),
        T.StructField("started_at", T.TimestampType()),
        T.StructField("ended_at", T.TimestampType()),
    ]
)


@dataclass(frozen=True)
class LedgerEntry:
    """Who wrote a batch's rows: the job, the mode (stream, replay-kafka, …) and the run."""

    job_name: str
    mode: str
    run_id: str
    backed_up: bool = True


def ledger_rows(
    spark: SparkSession,
    batch_id: int,
    partitions: Sequence[PartitionStats],
    entry: LedgerEntry,
    *,
    started_at: datetime,
    ended_at: datetime,
) -> DataFrame:
    rows = [
        (
            entry.job_name,
            entry.mode,
            entry.run_id,
            batch_id,
            p.topic,
            p.partition,
            p.date,
            p.hour,
            p.first_offset,
            p.last_offset,
            p.read,
            p.read if entry.backed_up else 0,
            p.output,
            p.filtered,
            p.dlq,
            list(p.filtered_offsets),
            started_at,
            ended_at,
        )
        for p in partitions
    ]
    return spark.createDataFrame(rows, LEDGER_SCHEMA)
