"""``jobs.pipeline.output_rows``: a processor's return value checked against its output schema.

Every value accepted here must also convert to Arrow: the processed batch is built from the
accepted rows, so an accepted value Arrow refuses would fail the whole batch.
"""

from __future__ import annotations

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_type

from jobs.core.failures import OutputSchemaMismatch
from jobs.pipeline.output_rows import output_rows

SCHEMA = T.StructType([T.StructField("id", T.LongType()), T.StructField("name", T.StringType())])


class BrokenZone(dt.tzinfo):
    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset here")


def one_field(data_type: T.DataType, nullable: bool = True) -> T.StructType:
    return T.StructType([T.StructField("f", data_type, nullable)])


def mismatch(result, schema: T.StructType) -> str:
    with pytest.raises(OutputSchemaMismatch) as caught:
        output_rows(result, schema)
    assert caught.value.error_type == "OutputSchemaMismatch"
    return str(caught.value)


def converts_to_arrow(value, data_type: T.DataType) -> None:
    """What the processed batch will do with an accepted value."""
    pa.array([{"f": value}], to_arrow_type(one_field(data_type), timezone="UTC"))


# --- shapes --------------------------------------------------------------------------------


def test_one_dict_is_one_row():
    assert output_rows({"id": 1, "name": "a"}, SCHEMA) == [{"id": 1, "name": "a"}]


def test_list_of_dicts_is_several_rows():
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": None}]
    assert output_rows(rows, SCHEMA) == rows


def test_tuple_of_dicts_is_several_rows():
    assert output_rows(({"id": 1, "name": "a"},), SCHEMA) == [{"id": 1, "name": "a"}]


def test_rows_are_copies_so_a_processor_may_reuse_its_dict():
    row = {"id": 1, "name": "a"}
    (first,) = output_rows(row, SCHEMA)
    row["id"] = 2
    assert first == {"id": 1, "name": "a"}


def test_none_and_empty_list_are_no_rows():
    assert output_rows(None, SCHEMA) == []
    assert output_rows([], SCHEMA) == []


@pytest.mark.parametrize(
    ("result", "named"),
    [(42, "int"), ("text", "str"), (b"raw", "bytes"), (3.5, "float"), ({1, 2}, "set")],
)
def test_other_returns_are_a_mismatch(result, named):
    message = mismatch(result, SCHEMA)
    assert named in message
    assert "dict" in message


def test_generator_is_a_mismatch():
    assert "generator" in mismatch(({"id": i, "name": "x"} for i in range(2)), SCHEMA)


@pytest.mark.parametrize("bad", [5, "row", None, ["id", 1]])
def test_list_holding_a_non_dict(bad):
    message = mismatch([{"id": 1, "name": "a"}, bad], SCHEMA)
    assert "not a dict" in message


def test_missing_field():
    message = mismatch({"id": 1}, SCHEMA)
    assert "missing ['name']" in message
    assert "unexpected []" in message


def test_extra_field():
    message = mismatch({"id": 1, "name": "a", "extra": True, 7: "x"}, SCHEMA)
    assert "missing []" in message
    assert "'extra'" in message and "'7'" in message


def test_one_bad_row_among_good_ones_fails_the_whole_return():
    mismatch([{"id": 1, "name": "a"}, {"id": "2", "name": "b"}], SCHEMA)


# --- primitive types -----------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)

GOOD = [
    (T.StringType(), "text"),
    (T.StringType(), ""),
    (T.StringType(), "ünïcødé ✓"),
    (T.BinaryType(), b"\x00\xff"),
    (T.BinaryType(), bytearray(b"ab")),
    (T.BooleanType(), True),
    (T.BooleanType(), False),
    (T.ByteType(), 127),
    (T.ByteType(), -128),
    (T.ShortType(), 2**15 - 1),
    (T.ShortType(), -(2**15)),
    (T.IntegerType(), 2**31 - 1),
    (T.IntegerType(), -(2**31)),
    (T.LongType(), 2**63 - 1),
    (T.LongType(), -(2**63)),
    (T.DoubleType(), 1.5),
    (T.DoubleType(), 3),
    (T.DoubleType(), float("nan")),
    (T.DoubleType(), 2**53),
    (T.DoubleType(), -(2**53)),
    (T.FloatType(), 2**24),
    (T.FloatType(), 0.25),
    (T.FloatType(), 7),
    (T.TimestampType(), NOW),
    (T.TimestampType(), NOW.replace(tzinfo=None)),
    (T.TimestampType(), NOW.astimezone(ZoneInfo("Europe/Paris"))),
    (T.TimestampType(), pd.Timestamp("2026-11-22 09:30:00.000001", tz="UTC")),
    (T.DateType(), NOW),
    (T.TimestampNTZType(), NOW.replace(tzinfo=None)),
    (T.DateType(), dt.date(2026, 11, 22)),
    (T.DecimalType(5, 2), decimal.Decimal("123.45")),
    (T.DecimalType(5, 2), decimal.Decimal("-1.5")),
    (T.DecimalType(5, 2), 123),
    (T.DecimalType(10, 0), 10**9),
]


@pytest.mark.parametrize(("data_type", "value"), GOOD, ids=lambda x: repr(x)[:30])
def test_values_that_fit(data_type, value):
    assert output_rows({"f": value}, one_field(data_type)) == [{"f": value}]
    converts_to_arrow(value, data_type)


BAD = [
    (T.StringType(), b"bytes"),
    (T.StringType(), 5),
    (T.StringType(), "lone surrogate \udcff"),
    (T.BinaryType(), "text"),
    (T.BinaryType(), [1, 2]),
    (T.BooleanType(), 1),
    (T.BooleanType(), "true"),
    (T.BooleanType(), 0.0),
    (T.ByteType(), 128),
    (T.ByteType(), -129),
    (T.ShortType(), 2**15),
    (T.IntegerType(), 2**31),
    (T.IntegerType(), -(2**31) - 1),
    (T.LongType(), 2**63),
    (T.LongType(), -(2**63) - 1),
    (T.IntegerType(), True),
    (T.LongType(), False),
    (T.IntegerType(), 1.0),
    (T.LongType(), "1"),
    (T.LongType(), decimal.Decimal(1)),
    (T.DoubleType(), True),
    (T.DoubleType(), "1.5"),
    (T.DoubleType(), decimal.Decimal("1.5")),
    (T.DoubleType(), 2**64),
    (T.DoubleType(), 2**53 + 1),
    (T.DoubleType(), 2**62),
    (T.FloatType(), 2**24 + 1),
    (T.FloatType(), 2**70),
    (T.FloatType(), False),
    (T.TimestampType(), "2026-11-22T09:30:00Z"),
    (T.TimestampType(), dt.date(2026, 11, 22)),
    (T.TimestampType(), 1_700_000_000),
    (T.DateType(), "2026-11-22"),
    (T.TimestampType(), pd.NaT),
    (T.TimestampNTZType(), pd.NaT),
    (T.TimestampType(), NOW.replace(tzinfo=BrokenZone())),
    (T.DecimalType(5, 2), 1.5),
    (T.DecimalType(5, 2), "1.5"),
    (T.DecimalType(5, 2), True),
    (T.DecimalType(5, 2), decimal.Decimal("12345.6")),
    (T.DecimalType(5, 2), decimal.Decimal("1.234")),
    (T.DecimalType(5, 2), decimal.Decimal("NaN")),
    (T.DecimalType(5, 2), 10**4),
]


@pytest.mark.parametrize(("data_type", "value"), BAD, ids=lambda x: repr(x)[:30])
def test_values_that_do_not_fit(data_type, value):
    message = mismatch({"f": value}, one_field(data_type))
    assert "'f'" in message
    assert data_type.simpleString() in message


def test_bool_is_not_an_int_but_is_a_boolean():
    mismatch({"f": True}, one_field(T.IntegerType()))
    assert output_rows({"f": True}, one_field(T.BooleanType())) == [{"f": True}]


def test_mismatch_message_cuts_a_long_value():
    message = mismatch({"f": "x" * 10_000}, one_field(T.IntegerType()))
    assert len(message) < 200
    assert "..." in message


def test_null_in_a_nullable_field():
    assert output_rows({"f": None}, one_field(T.LongType())) == [{"f": None}]


@pytest.mark.parametrize("data_type", [T.LongType(), T.StringType(), T.ArrayType(T.IntegerType())])
def test_null_in_a_not_null_field(data_type):
    message = mismatch({"f": None}, one_field(data_type, nullable=False))
    assert "NOT NULL" in message


# --- complex types, checked through Arrow --------------------------------------------------

ARRAY = T.ArrayType(T.IntegerType())
MAP = T.MapType(T.StringType(), T.IntegerType())
STRUCT = T.StructType([T.StructField("a", T.IntegerType()), T.StructField("b", T.StringType())])


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        (ARRAY, [1, 2, 3]),
        (ARRAY, []),
        (ARRAY, [1, None]),
        (MAP, {"a": 1, "b": 2}),
        (MAP, {}),
        (STRUCT, {"a": 1, "b": "x"}),
        (T.ArrayType(STRUCT), [{"a": 1, "b": None}]),
    ],
)
def test_complex_values_that_fit(data_type, value):
    assert output_rows({"f": value}, one_field(data_type)) == [{"f": value}]
    converts_to_arrow(value, data_type)


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        (ARRAY, [1, "two"]),
        (ARRAY, "123"),
        (ARRAY, [2**40]),
        (ARRAY, [True]),
        (ARRAY, 5),
        (MAP, {"a": "one"}),
        (MAP, {"a": 2**40}),
        (MAP, [1, 2]),
        (STRUCT, {"a": "x", "b": "y"}),
        (T.ArrayType(T.StringType()), ["ok", "lone \ud800"]),
    ],
)
def test_complex_values_that_do_not_fit(data_type, value):
    message = mismatch({"f": value}, one_field(data_type))
    assert data_type.simpleString() in message
