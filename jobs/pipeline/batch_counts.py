"""A processed micro-batch counted: per topic-partition and hour, and its failures by type."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.core.batch_stats import PartitionStats
from jobs.core.columns import STATUS_ERROR, STATUS_FILTERED, STATUS_OK
from jobs.core.error_tolerance import ErrorCounts

__all__ = ["count_by_partition", "error_counts"]


def error_counts(processed: DataFrame, batch_id: int, read: int) -> ErrorCounts:
    """The batch's DLQ rows by ``error_type``, a sample message of each."""
    rows = (
        processed.where(F.col("status") == STATUS_ERROR)
        .groupBy("error_type")
        .agg(F.count(F.lit(1)).alias("n"), F.first("error_message").alias("sample"))
        .collect()
    )
    return ErrorCounts(
        batch_id,
        read,
        {r["error_type"]: r["n"] for r in rows},
        {r["error_type"]: r["sample"] or "" for r in rows},
    )


def count_by_partition(processed: DataFrame) -> list[PartitionStats]:
    """Offsets and counts per topic-partition and hour, in one small Spark job over the
    cached batch."""

    def count(condition):
        return F.count(F.when(condition, True))

    status = F.col("status")
    rows = (
        processed.groupBy("topic", "partition", "date", "hour")
        .agg(
            F.min("offset").alias("first_offset"),
            F.max("offset").alias("last_offset"),
            count(F.col("output_index") == 0).alias("read"),
            count(status == STATUS_OK).alias("output"),
            count(status == STATUS_FILTERED).alias("filtered"),
            count(status == STATUS_ERROR).alias("dlq"),
            F.sort_array(F.collect_list(F.when(status == STATUS_FILTERED, F.col("offset")))).alias(
                "filtered_offsets"
            ),
        )
        .collect()
    )
    # sorted here: a handful of rows, where Spark's orderBy would cost a sampling job
    rows.sort(key=lambda row: (row["topic"], row["partition"], row["date"], row["hour"]))
    return [
        PartitionStats(**{**row.asDict(), "filtered_offsets": tuple(row["filtered_offsets"])})
        for row in rows
    ]
