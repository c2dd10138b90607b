"""A processed micro-batch counted in one small Spark job: per topic-partition and hour, and its
failures by error type (what the batch log line, the ledger, the WARN line and
``--errors-tolerance`` need)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.core.batch_stats import BatchCounts, fold_counts
from jobs.core.columns import STATUS_ERROR, STATUS_FILTERED, STATUS_OK

__all__ = ["count_batch"]


def count_batch(processed: DataFrame) -> BatchCounts:
    """Counts grouped by hour partition and ``error_type``, folded on the driver
    (``jobs.core.batch_stats.fold_counts``): a handful of rows."""

    def count(condition):
        return F.count(F.when(condition, True))

    status = F.col("status")
    groups = (
        processed.groupBy("topic", "partition", "date", "hour", "error_type")
        .agg(
            F.min("offset").alias("first_offset"),
            F.max("offset").alias("last_offset"),
            count(F.col("output_index") == 0).alias("read"),
            count(status == STATUS_OK).alias("output"),
            count(status == STATUS_FILTERED).alias("filtered"),
            count(status == STATUS_ERROR).alias("dlq"),
            F.collect_list(F.when(status == STATUS_FILTERED, F.col("offset"))).alias(
                "filtered_offsets"
            ),
            F.first(F.when(status == STATUS_ERROR, F.col("error_message")), True).alias("sample"),
        )
        .collect()
    )
    return fold_counts(row.asDict() for row in groups)
