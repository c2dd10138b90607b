"""Step 3 of a micro-batch, run in the executors: the processor over Arrow record batches.

Every record gets its own ``try``: an exception, a bad size, a tombstone, a timestamp beyond
what Python's datetime holds or an output that does not fit the schema becomes an *error* row,
never a failed task. The processor sees the record timestamp in UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from jobs.core.columns import PASSED_THROUGH, STATUS_ERROR, STATUS_FILTERED, STATUS_OK
from jobs.core.failures import (
    NullValue,
    RecordTooLarge,
    TimestampOutOfRange,
    error_message,
    error_stack,
    error_type,
)
from jobs.core.processor import Record, load_processor
from jobs.io.schemas import processed_schema
from jobs.pipeline.output_rows import output_rows
from jobs.pipeline.record_timer import time_limit

__all__ = ["ProcessorRun"]

_RECORD_COLUMNS = ["key", "value", "topic", "partition", "offset", "timestamp", "headers"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ProcessorRun:
    """What the executors need to run the processor; small and picklable."""

    processor_path: str
    output_schema: T.StructType
    max_record_bytes: int
    record_timeout: float | None = None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        loaded = load_processor(self.processor_path)
        arrow_schema = to_arrow_schema(processed_schema(self.output_schema), timezone="UTC")
        with loaded.opened() as call, time_limit(self.record_timeout) as limited:
            timed = functools.partial(_call_limited, limited, call)
            for batch in batches:
                yield self.process_batch(batch, timed, arrow_schema)

    def process_batch(
        self, batch: pa.RecordBatch, call: Callable[[Record], Any], arrow_schema: pa.Schema
    ) -> pa.RecordBatch:
        result = _Outcomes()
        for index, row in enumerate(_source_rows(batch)):
            result.add(index, self.outcome(row, call))
        return result.to_arrow(batch, arrow_schema)

    def outcome(
        self, row: dict[str, Any], call: Callable[[Record], Any]
    ) -> list[dict] | BaseException:
        """The record's output rows, or why it failed: any exception but ``KeyboardInterrupt``
        (the worker interrupted, not a bad record), ``CancelledError`` and ``SystemExit``
        included."""
        try:
            self.check_size(row["key"], row["value"])
            return output_rows(call(_record(row)), self.output_schema)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            return e

    def check_size(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:
            raise NullValue("the value is null (a tombstone)")
        size = len(key or b"") + len(value)
        if size > self.max_record_bytes:
            raise RecordTooLarge(
                f"key+value is {size} bytes, over --max-record-bytes {self.max_record_bytes}"
            )


def _call_limited(limited, call: Callable[[Record], Any], record: Record) -> Any:
    return limited(lambda: call(record))


def _source_rows(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    """The record columns as Python values, the timestamp as microseconds since the epoch:
    a Kafka timestamp may lie outside the years 1 to 9999 of Python's datetime."""
    columns = batch.select(_RECORD_COLUMNS)
    i = columns.schema.get_field_index("timestamp")
    micros = columns.column(i).cast(pa.int64())
    return columns.set_column(i, "timestamp", micros).to_pylist()


def _record(row: dict[str, Any]) -> Record:
    headers = tuple((h["key"], h["value"]) for h in row["headers"] or ())
    return Record(
        row["key"],
        row["value"],
        row["topic"],
        row["partition"],
        row["offset"],
        _timestamp(row["timestamp"]),
        headers,
    )


def _timestamp(micros: int) -> dt.datetime:
    try:
        return _EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        raise TimestampOutOfRange(
            f"the Kafka timestamp, {micros // 1000} ms since the epoch, lies outside the years "
            "1 to 9999 that a Python datetime holds"
        ) from None


@dataclass
class _Outcomes:
    """Columns of the processed batch, filled record by record."""

    source: list[int] = field(default_factory=list)
    error_source: list[int | None] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    output_index: list[int] = field(default_factory=list)
    errors: list[tuple[str, str, str] | None] = field(default_factory=list)
    outputs: list[dict | None] = field(default_factory=list)
    failed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def add(self, index: int, outcome: list[dict] | BaseException) -> None:
        if isinstance(outcome, BaseException):
            facts = (error_type(outcome), error_message(outcome), error_stack(outcome))
            self._append(index, STATUS_ERROR, 0, facts, None)
        elif not outcome:
            self._append(index, STATUS_FILTERED, 0, None, None)
        else:
            for n, row in enumerate(outcome):
                self._append(index, STATUS_OK, n, None, row)

    def _append(self, index, status, n, error, output) -> None:
        self.source.append(index)
        self.error_source.append(index if error else None)
        self.status.append(status)
        self.output_index.append(n)
        self.errors.append(error)
        self.outputs.append(output)

    def to_arrow(self, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        rows = pa.array(self.source, pa.int32())
        failed = pa.array(self.error_source, pa.int32())
        columns = {name: batch.column(name).take(rows) for name in PASSED_THROUGH}
        columns["key"] = batch.column("key").take(rows)
        columns |= {name: batch.column(name).take(failed) for name in ("value", "headers")}
        columns["status"] = pa.array(self.status)
        columns["output_index"] = pa.array(self.output_index, pa.int32())
        for i, name in enumerate(("error_type", "error_message", "error_stack")):
            columns[name] = pa.array([e[i] if e else None for e in self.errors], pa.string())
        columns["failed_at"] = pa.array([self.failed_at if e else None for e in self.errors])
        columns["output"] = pa.array(self.outputs, schema.field("output").type)
        arrays = [columns[f.name].cast(f.type) for f in schema]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
