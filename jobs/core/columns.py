"""Column names of the backup, DLQ, output and ledger tables and of the processed batch.

Plain tuples, so that pure code can name columns; ``jobs.io.schemas`` gives them Spark types.
"""

from __future__ import annotations

__all__ = [
    "BACKUP_COLUMNS",
    "COORDINATES",
    "DLQ_COLUMNS",
    "ERROR_COLUMNS",
    "KAFKA_SHAPE",
    "LEDGER_COLUMNS",
    "LEDGER_KEY",
    "ORIGINAL",
    "OUTPUT_KEY",
    "PARTITION_COLUMNS",
    "PASSED_THROUGH",
    "RECORD_KEY",
    "RESERVED_OUTPUT_NAMES",
    "SOURCE_COLUMNS",
    "STATUS_ERROR",
    "STATUS_FILTERED",
    "STATUS_OK",
]

COORDINATES = ("topic", "partition", "offset", "timestamp", "timestamp_type")
ORIGINAL = ("key", "value", "headers")
PARTITION_COLUMNS = ("date", "hour")
ERROR_COLUMNS = ("error_type", "error_message", "error_stack", "failed_at")

BACKUP_COLUMNS = (*COORDINATES, *ORIGINAL, "batch_id", "ingested_at", *PARTITION_COLUMNS)
DLQ_COLUMNS = (
    *COORDINATES,
    *ORIGINAL,
    "error_type",
    "error_message",
    "error_stack",
    "processor",
    "failed_at",
    "batch_id",
    *PARTITION_COLUMNS,
    "attempts",
    "resolved_at",
    "resolved_by",
)
LEDGER_COLUMNS = (
    "job_name",
    "mode",
    "run_id",
    "batch_id",
    "topic",
    "partition",
    *PARTITION_COLUMNS,
    "first_offset",
    "last_offset",
    "read",
    "backed_up",
    "output",
    "filtered",
    "dlq",
    "filtered_offsets",
    "started_at",
    "ended_at",
)

RECORD_KEY = ("topic", "partition", "offset")
# A ledger row's identity: one per run, batch, topic-partition and hour.
LEDGER_KEY = ("run_id", "batch_id", "topic", "partition", *PARTITION_COLUMNS)
OUTPUT_KEY = ("source_topic", "source_partition", "source_offset", "source_index")
SOURCE_COLUMNS = {
    "topic": "source_topic",
    "partition": "source_partition",
    "offset": "source_offset",
}
RESERVED_OUTPUT_NAMES = frozenset({*SOURCE_COLUMNS.values(), "source_index", *PARTITION_COLUMNS})
# Spark's Kafka source, which replays imitate so that they run the stream's own pipeline.
KAFKA_SHAPE = (
    "key",
    "value",
    "topic",
    "partition",
    "offset",
    "timestamp",
    "timestampType",
    "headers",
)

PASSED_THROUGH = (*COORDINATES, *PARTITION_COLUMNS, "batch_id")
STATUS_OK, STATUS_FILTERED, STATUS_ERROR = "ok", "filtered", "error"
