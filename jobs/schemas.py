"""Column layouts of the backup, DLQ and output tables and of the processed micro-batch."""

from __future__ import annotations

from pyspark.sql import types as T

HEADERS = T.ArrayType(
    T.StructType([T.StructField("key", T.StringType()), T.StructField("value", T.BinaryType())])
)
COORDINATES = T.StructType(
    [
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.IntegerType()),
        T.StructField("offset", T.LongType()),
        T.StructField("timestamp", T.TimestampType()),
        T.StructField("timestamp_type", T.IntegerType()),
    ]
)
PARTITIONS = T.StructType(
    [T.StructField("date", T.StringType()), T.StructField("hour", T.StringType())]
)
ORIGINAL = T.StructType(
    [
        T.StructField("key", T.BinaryType()),
        T.StructField("value", T.BinaryType()),
        T.StructField("headers", HEADERS),
    ]
)
ERROR = T.StructType(
    [
        T.StructField("error_type", T.StringType()),
        T.StructField("error_message", T.StringType()),
        T.StructField("error_stack", T.StringType()),
        T.StructField("failed_at", T.TimestampType()),
    ]
)
BATCH_ID = T.StructField("batch_id", T.LongType())

BACKUP_COLUMNS = [
    *COORDINATES.fieldNames(),
    *ORIGINAL.fieldNames(),
    "batch_id",
    "ingested_at",
    *PARTITIONS.fieldNames(),
]
DLQ_COLUMNS = [
    *COORDINATES.fieldNames(),
    *ORIGINAL.fieldNames(),
    "error_type",
    "error_message",
    "error_stack",
    "processor",
    "failed_at",
    "batch_id",
    *PARTITIONS.fieldNames(),
    "attempts",
    "resolved_at",
    "resolved_by",
]
RECORD_KEY = ("topic", "partition", "offset")
OUTPUT_KEY = ("source_topic", "source_partition", "source_offset", "source_index")
SOURCE_COLUMNS = {
    "topic": "source_topic",
    "partition": "source_partition",
    "offset": "source_offset",
}
RESERVED_OUTPUT_NAMES = {*SOURCE_COLUMNS.values(), "source_index", *PARTITIONS.fieldNames()}

PASSED_THROUGH = [*COORDINATES.fieldNames(), *PARTITIONS.fieldNames(), "batch_id"]
STATUS_OK, STATUS_FILTERED, STATUS_ERROR = "ok", "filtered", "error"


def processed_schema(output: T.StructType) -> T.StructType:
    """One row per output row, filtered record or failed record of the micro-batch.

    The original value and headers are kept on failed rows only: the DLQ needs them, the
    output does not, and the backup already has every record. The key stays on every row, so
    an output topic keeps the source's keys.
    """
    return T.StructType(
        [
            *COORDINATES.fields,
            *PARTITIONS.fields,
            BATCH_ID,
            *ORIGINAL.fields,
            T.StructField("status", T.StringType()),
            T.StructField("output_index", T.IntegerType()),
            *ERROR.fields,
            T.StructField("output", output),
        ]
    )
