"""The DataFrame-level processor contract: a processor written as Spark expressions.

A SQL processor is a function ``DataFrame -> DataFrame`` declared with
``@sql_processor(output_schema)``. It receives the stamped records of a micro-batch (every
column of ``jobs.pipeline.stamp``) and returns the same rows, one per record, with three columns
added:

- ``output``: a struct of the declared output schema (ignored on failed rows);
- ``error_type`` and ``error_message``: NULL when the record succeeded, else the DLQ's error
  type (the vocabulary of ``jobs.core.failures``) and a message;
- optionally ``error_stack``: what the DLQ shows where a Python processor shows a traceback.

It never leaves the JVM: no Python worker, no Arrow exchange. So what guards the Python path
does not apply: no per-record ``--record-timeout`` (Spark expressions end), no isolation of a
record that kills the Python worker (there is none); a failing expression (a bug in the
processor, not a bad record) fails the batch before its checkpoint commit.

``processed_rows`` gives the same processed batch (``jobs.io.schemas.processed_schema``) as the
``mapInArrow`` path, with the job's own record checks (tombstone, size, timestamp) applied
first, exactly as there.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from pyspark import SparkContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.core.columns import PASSED_THROUGH, STATUS_ERROR, STATUS_OK
from jobs.core.errors import ConfigError
from jobs.core.failures import NullValue, RecordError, RecordTooLarge, TimestampOutOfRange
from jobs.core.processor import is_sql_processor, load_processor
from jobs.io.schemas import processed_schema
from jobs.pipeline.apply import ProcessorRun

__all__ = ["SqlProcessor", "in_the_jvm", "processed_rows", "record_checks"]

SqlProcessor = Callable[[DataFrame], DataFrame]
RESULT_COLUMNS = ("output", "error_type", "error_message")
# The microseconds a Python datetime holds: 0001-01-01 to 9999-12-31T23:59:59.999999 UTC.
_PYTHON_MICROS = (-62_135_596_800_000_000, 253_402_300_799_999_999)


def in_the_jvm(run: ProcessorRun) -> Callable[[DataFrame], DataFrame] | None:
    """The batch through ``run``'s processor as Spark expressions, when it is a
    ``@sql_processor``; None for a Python processor (``mapInArrow`` over ``run``)."""
    target = load_processor(run.processor_path).target
    if not is_sql_processor(target):
        return None
    return functools.partial(
        processed_rows,
        processor=target,
        output_schema=run.output_schema,
        processor_path=run.processor_path,
        max_record_bytes=run.max_record_bytes,
    )


def record_checks(max_record_bytes: int) -> Column:
    """The job's checks before any processor, in the order ``jobs.pipeline.apply`` makes them."""
    size = F.coalesce(F.octet_length("key"), F.lit(0)) + F.octet_length("value")
    micros = F.unix_micros("timestamp")
    too_large = F.format_string(
        f"key+value is %d bytes, over --max-record-bytes {max_record_bytes}", size
    )
    out_of_range = F.format_string(
        "the Kafka timestamp, %d ms since the epoch, lies outside the years 1 to 9999 that a "
        "Python datetime holds",
        F.floor(micros / 1000),
    )
    return (
        F.when(F.col("value").isNull(), _fault(NullValue, F.lit("the value is null (a tombstone)")))
        .when(size > max_record_bytes, _fault(RecordTooLarge, too_large))
        .when(
            (micros < _PYTHON_MICROS[0]) | (micros > _PYTHON_MICROS[1]),
            _fault(TimestampOutOfRange, out_of_range),
        )
    )


@functools.cache
def _checks(max_record_bytes: int, gateway: int) -> Column:
    return record_checks(max_record_bytes).alias("_record_error")


def _fault(failure: type[RecordError], message: Column) -> Column:
    return F.struct(F.lit(failure.error_type).alias("type"), message.alias("message"))


def processed_rows(
    rows: DataFrame,
    processor: SqlProcessor,
    output_schema: T.StructType,
    *,
    processor_path: str,
    max_record_bytes: int,
) -> DataFrame:
    """The stamped batch through ``processor``, shaped as the ``mapInArrow`` path shapes it.

    A record that fails the job's checks reaches the processor with a NULL value (it is never
    parsed) and keeps the job's error. One row per record: SQL processors neither filter nor
    fan out.
    """
    checked = rows.select("*", _checks(max_record_bytes, id(SparkContext._gateway)))
    kept = F.when(F.col("_record_error").isNull(), F.col("value"))
    result = processor(checked.withColumn("_value", F.col("value")).withColumn("value", kept))
    _check_result(result, output_schema, processor_path)
    return _shaped(result.withColumn("value", F.col("_value")), output_schema, processor_path)


def _check_result(result: DataFrame, schema: T.StructType, path: str) -> None:
    names = set(result.columns)
    missing = [c for c in RESULT_COLUMNS if c not in names]
    if missing:
        raise ConfigError("--processor", f"{path} returned no column {missing[0]!r}")
    found = result.schema["output"].dataType
    if not _same_shape(found, schema):
        raise ConfigError(
            "--processor",
            f"{path} returns output {found.simpleString()}, declared {schema.simpleString()}",
        )


def _same_shape(found: T.DataType, declared: T.StructType) -> bool:
    return isinstance(found, T.StructType) and [(f.name, f.dataType) for f in found.fields] == [
        (f.name, f.dataType) for f in declared.fields
    ]


def _shaped(result: DataFrame, output_schema: T.StructType, path: str) -> DataFrame:
    result = result.withColumn(
        "_error_type", F.coalesce(F.col("_record_error.type"), F.col("error_type"))
    )
    has_stack = "error_stack" in result.columns
    return result.select(*_shape(output_schema.json(), path, has_stack, id(SparkContext._gateway)))


@functools.cache
def _shape(output_schema: str, path: str, has_stack: bool, gateway: int) -> list[Column]:
    """The columns of the processed batch, built once per processor and JVM (each costs calls
    into the JVM, paid at every micro-batch otherwise)."""
    record_error = F.col("_record_error")
    error_type = F.col("_error_type")
    failed = error_type.isNotNull()
    stack = F.col("error_stack") if has_stack else F.lit(None)
    columns = {
        **{name: F.col(name) for name in PASSED_THROUGH},
        "key": F.col("key"),
        "value": F.when(failed, F.col("value")),
        "headers": F.when(failed, F.col("headers")),
        "status": F.when(failed, F.lit(STATUS_ERROR)).otherwise(F.lit(STATUS_OK)),
        "output_index": F.lit(0),
        "error_type": error_type,
        "error_message": F.coalesce(record_error["message"], F.col("error_message")),
        "error_stack": F.when(failed, _stack(record_error, error_type, stack, path)),
        # the batch's time from the stamp: current_timestamp() would be a literal in the
        # generated code, compiled anew at every micro-batch
        "failed_at": F.when(failed, F.col("ingested_at")),
        "output": F.when(~failed, F.col("output")),
    }
    schema = processed_schema(T.StructType.fromJson(json.loads(output_schema)))
    return [columns[f.name].cast(f.dataType).alias(f.name) for f in schema]


def _stack(record_error: Column, error_type: Column, stack: Column, path: str) -> Column:
    """No Python stack exists: say which checks failed the record, and where they live."""
    by_job = F.format_string(
        "%s: the job's record checks, before the processor (Spark SQL)", error_type
    )
    by_processor = F.format_string(
        f"%s: the Spark SQL checks of {path} (no Python stack)", error_type
    )
    return F.when(record_error.isNotNull(), by_job).otherwise(F.coalesce(stack, by_processor))
