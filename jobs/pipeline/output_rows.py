"""Check a processor's return value against its declared output schema, one record at a time.

Checked in Python per record so that one bad row goes to the DLQ as ``OutputSchemaMismatch``
instead of failing the Arrow conversion of a whole batch.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pyarrow as pa
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_type

from jobs.core.failures import OutputSchemaMismatch

__all__ = ["output_rows"]

_INT_RANGES = {
    T.ByteType: 2**7,
    T.ShortType: 2**15,
    T.IntegerType: 2**31,
    T.LongType: 2**63,
}
_PYTHON_TYPES: dict[type, tuple[type, ...]] = {
    T.StringType: (str,),
    T.BinaryType: (bytes, bytearray),
    T.BooleanType: (bool,),
    T.DoubleType: (float, int),
    T.FloatType: (float, int),
    T.TimestampType: (dt.datetime,),
    T.TimestampNTZType: (dt.datetime,),
    T.DateType: (dt.date,),
    T.DecimalType: (decimal.Decimal, int),
}
_TIME_TYPES = (T.TimestampType, T.TimestampNTZType, T.DateType)


def output_rows(result: Any, schema: T.StructType) -> list[dict[str, Any]]:
    """The rows a processor returned (dict, list of dicts or None), each checked and copied:
    they become Arrow only at the end of the batch, after the processor may have reused them."""
    if result is None:
        return []
    rows = [result] if isinstance(result, dict) else result
    if not isinstance(rows, list | tuple):
        raise OutputSchemaMismatch(
            f"processor returned {type(result).__name__}; expected a dict, a list of dicts or None"
        )
    for row in rows:
        check_row(row, schema)
    return [dict(row) for row in rows]


def check_row(row: Any, schema: T.StructType) -> None:
    if not isinstance(row, dict):
        raise OutputSchemaMismatch(f"an output row is a {type(row).__name__}, not a dict")
    names = set(schema.fieldNames())
    missing, extra = names - row.keys(), row.keys() - names
    if missing or extra:
        raise OutputSchemaMismatch(
            f"output row fields differ from the schema: missing {sorted(missing)}, "
            f"unexpected {sorted(map(str, extra))}"
        )
    for f in schema.fields:
        check_value(f.name, row[f.name], f.dataType, f.nullable)


def check_value(name: str, value: Any, data_type: T.DataType, nullable: bool = True) -> None:
    if value is None:
        if not nullable:
            raise OutputSchemaMismatch(f"field {name!r} is null but declared NOT NULL")
        return
    kind = type(data_type)
    if kind in _INT_RANGES:
        bound = _INT_RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not -bound <= value < bound:
            raise _mismatch(name, value, data_type)
    elif kind in _PYTHON_TYPES:
        if not isinstance(value, _PYTHON_TYPES[kind]) or (
            isinstance(value, bool) and kind is not T.BooleanType
        ):
            raise _mismatch(name, value, data_type)
        if _needs_arrow_check(value, kind):
            _check_arrow(name, value, data_type)
    else:
        _check_arrow(name, value, data_type)


def _needs_arrow_check(value: Any, kind: type) -> bool:
    """Values of the right Python type that Arrow may still refuse: decimals over precision or
    scale, ints beyond what a float represents exactly, strings with lone surrogates, and
    date/time subclasses or time zones (pandas' ``NaT``, a ``tzinfo`` that raises)."""
    return (
        kind is T.DecimalType
        or (kind in (T.DoubleType, T.FloatType) and isinstance(value, int))
        or (kind is T.StringType and not value.isascii())
        or (kind in _TIME_TYPES and not _plain_time(value))
    )


def _plain_time(value: dt.date) -> bool:
    tzinfo = getattr(value, "tzinfo", None)
    return type(value) in (dt.date, dt.datetime) and (tzinfo is None or tzinfo is dt.UTC)


def _check_arrow(name: str, value: Any, data_type: T.DataType) -> None:
    try:
        pa.array([value], type=to_arrow_type(data_type, timezone="UTC"))
    except Exception:
        raise _mismatch(name, value, data_type) from None


def _mismatch(name: str, value: Any, data_type: T.DataType) -> OutputSchemaMismatch:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return OutputSchemaMismatch(
        f"field {name!r} is {type(value).__name__} {shown}; declared {data_type.simpleString()}"
    )
