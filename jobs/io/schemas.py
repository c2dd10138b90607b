"""Spark types of the columns named in ``jobs.core.columns``: the tables and the processed batch."""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import types as T

from jobs.core.columns import (
    COORDINATES,
    ERROR_COLUMNS,
    LEDGER_COLUMNS,
    ORIGINAL,
    PARTITION_COLUMNS,
)

__all__ = ["HEADERS", "LEDGER_SCHEMA", "processed_schema", "struct"]

HEADERS = T.ArrayType(
    T.StructType([T.StructField("key", T.StringType()), T.StructField("value", T.BinaryType())])
)
_TYPES: dict[str, T.DataType] = {
    "topic": T.StringType(),
    "partition": T.IntegerType(),
    "offset": T.LongType(),
    "timestamp": T.TimestampType(),
    "timestamp_type": T.IntegerType(),
    "key": T.BinaryType(),
    "value": T.BinaryType(),
    "headers": HEADERS,
    "date": T.StringType(),
    "hour": T.StringType(),
    "batch_id": T.LongType(),
    "error_type": T.StringType(),
    "error_message": T.StringType(),
    "error_stack": T.StringType(),
    "failed_at": T.TimestampType(),
    "job_name": T.StringType(),
    "mode": T.StringType(),
    "run_id": T.StringType(),
    "first_offset": T.LongType(),
    "last_offset": T.LongType(),
    "read": T.LongType(),
    "backed_up": T.LongType(),
    "output": T.LongType(),  # the ledger's count; the processed batch's output is a struct
    "filtered": T.LongType(),
    "dlq": T.LongType(),
    "filtered_offsets": T.ArrayType(T.LongType()),
    "started_at": T.TimestampType(),
    "ended_at": T.TimestampType(),
}


def struct(names: Iterable[str]) -> T.StructType:
    """A ``StructType`` of the named columns, each with its one type."""
    return T.StructType([T.StructField(name, _TYPES[name]) for name in names])


LEDGER_SCHEMA = struct(LEDGER_COLUMNS)


def processed_schema(output: T.StructType) -> T.StructType:
    """One row per output row, filtered record or failed record of the micro-batch.

    The original value and headers are kept on failed rows only: the DLQ needs them, the
    output does not, and the backup already has every record. The key stays on every row, so
    an output topic keeps the source's keys.
    """
    return T.StructType(
        [
            *struct([*COORDINATES, *PARTITION_COLUMNS, "batch_id", *ORIGINAL]).fields,
            T.StructField("status", T.StringType()),
            T.StructField("output_index", T.IntegerType()),
            *struct(ERROR_COLUMNS).fields,
            T.StructField("output", output),
        ]
    )
