"""``jobs.processors.builtin``: ``passthrough`` and ``JsonEvents`` with its error types."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyspark.sql import types as T

from jobs.core.failures import (
    InvalidJson,
    MissingField,
    NestingTooDeep,
    NotAnObject,
    NumberOutOfRange,
    UndecodableValue,
    WrongFieldType,
    error_type,
)
from jobs.pipeline.output_rows import output_rows
from jobs.processor import Record
from jobs.processors import sql_json
from jobs.processors.builtin import JsonEvents, json_events, passthrough

EVENTS_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType()),
        T.StructField("user_id", T.LongType()),
        T.StructField("amount", T.DoubleType()),
        T.StructField("kind", T.StringType()),
    ]
)
GOOD = {"event_id": "e-1", "user_id": 42, "amount": 12.5, "kind": "purchase"}


def record(value: bytes | None, key: bytes | None = b"k") -> Record:
    return Record(key, value, "orders", 0, 5, datetime(2026, 11, 22, 9, tzinfo=UTC))


def event(**changes) -> bytes:
    body = {**GOOD, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def fails(value: bytes, error: type[Exception]) -> str:
    with pytest.raises(error) as caught:
        JsonEvents().process(record(value))
    assert error_type(caught.value) == error.__name__
    return str(caught.value)


# --- JsonEvents: good records ----------------------------------------------------------------


def test_good_event():
    row = JsonEvents().process(record(event()))
    assert row == GOOD
    assert output_rows(row, EVENTS_SCHEMA) == [GOOD]


def test_int_amount_becomes_a_float_and_extra_fields_are_dropped():
    row = JsonEvents().process(record(event(amount=3, note="ignored")))
    assert row == {**GOOD, "amount": 3.0}
    assert isinstance(row["amount"], float)
    assert output_rows(row, EVENTS_SCHEMA) == [row]


def test_unicode_and_whitespace_are_fine():
    value = ('  {"event_id": "é-✓", "user_id": -1, "amount": 0.0, "kind": "rückgabe"}\n').encode()
    assert JsonEvents().process(record(value)) == {
        "event_id": "é-✓",
        "user_id": -1,
        "amount": 0.0,
        "kind": "rückgabe",
    }


def test_biggest_bigint_is_fine():
    assert JsonEvents().process(record(event(user_id=2**63 - 1)))["user_id"] == 2**63 - 1


def test_json_events_is_the_sql_twin_of_the_class():
    assert json_events is sql_json.json_events and json_events.sql_processor
    assert json_events.output_schema == JsonEvents.output_schema
    assert JsonEvents.output_schema == "event_id STRING, user_id BIGINT, amount DOUBLE, kind STRING"


# --- JsonEvents: each error type -------------------------------------------------------------


@pytest.mark.parametrize("value", [b"\xff\xfe{}", b'{"event_id": "\xc3"}', b"\x80"])
def test_undecodable_value(value):
    assert "UTF-8" in fails(value, UndecodableValue)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"   ",
        b"not json",
        b"{'single': 'quotes'}",
        b'{"event_id": "e-1", "user_id": 42',
        b'{"event_id": "e-1",}',
        b'{"amount": NaN, "event_id": "e", "user_id": 1, "kind": "k"}',
        b'{"amount": Infinity, "event_id": "e", "user_id": 1, "kind": "k"}',
        b'{"amount": -Infinity, "event_id": "e", "user_id": 1, "kind": "k"}',
        b"NaN",
        b"{} trailing",
        b"\xef\xbb\xbf{}",
        b'{"kind": "tab\tinside"}',
    ],
    ids=lambda v: v[:40].decode(errors="replace"),
)
def test_invalid_json(value):
    assert "not JSON" in fails(value, InvalidJson)


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json_is_nesting_too_deep_not_a_crash(opener):
    message = fails(opener * 100_000, NestingTooDeep)
    assert len(message) < 300


def test_deeply_nested_but_closed_json_is_nesting_too_deep():
    fails(b"[" * 100_000 + b"]" * 100_000, NestingTooDeep)


def test_nesting_within_the_limit_is_parsed():
    nested = b"[" * 200 + b"]" * 200
    assert "'kind' is list" in fails(
        event(kind=...)[:-1] + b', "kind": ' + nested + b"}", WrongFieldType
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (b"[1, 2]", "list"),
        (b'"text"', "str"),
        (b"42", "int"),
        (b"null", "NoneType"),
        (b"true", "bool"),
    ],
)
def test_not_an_object(value, named):
    assert named in fails(value, NotAnObject)


@pytest.mark.parametrize("field", ["event_id", "user_id", "amount", "kind"])
def test_missing_field_absent(field):
    assert repr(field) in fails(event(**{field: ...}), MissingField)


@pytest.mark.parametrize("field", ["event_id", "user_id", "amount", "kind"])
def test_missing_field_null(field):
    assert repr(field) in fails(event(**{field: None}), MissingField)


@pytest.mark.parametrize(
    ("changes", "in_message"),
    [
        ({"user_id": "42"}, "'user_id' is str"),
        ({"user_id": True}, "'user_id' is bool"),
        ({"user_id": 4.0}, "'user_id' is float"),
        ({"amount": "12.50"}, "'amount' is str"),
        ({"amount": False}, "'amount' is bool"),
        ({"amount": [1]}, "'amount' is list"),
        ({"event_id": 7}, "'event_id' is int"),
        ({"kind": {"a": 1}}, "'kind' is dict"),
    ],
)
def test_wrong_field_type(changes, in_message):
    assert in_message in fails(event(**changes), WrongFieldType)


@pytest.mark.parametrize(
    ("value", "in_message"),
    [
        (event(user_id=2**70), "BIGINT"),
        (event(user_id=-(2**63) - 1), "BIGINT"),
        (event(amount=10**400), "DOUBLE"),
        (b'{"event_id": "e", "user_id": 1, "amount": 1e999, "kind": "k"}', "DOUBLE"),
        (b'{"event_id": "e", "user_id": 1, "amount": -1e999, "kind": "k"}', "DOUBLE"),
        (b'{"user_id": ' + b"9" * 5000 + b"}", "too long"),
    ],
    ids=["bigint-over", "bigint-under", "int-over-double", "1e999", "-1e999", "5000-digits"],
)
def test_number_out_of_range(value, in_message):
    assert in_message in fails(value, NumberOutOfRange)


@pytest.mark.parametrize("field", ["event_id", "kind"])
def test_escaped_lone_surrogate_is_undecodable(field):
    value = event(**{field: ...})[:-1] + f', "{field}": "a\\ud800b"}}'.encode()
    assert repr(field) in fails(value, UndecodableValue)


def test_escaped_surrogate_pair_is_fine():
    value = event(kind=...)[:-1] + b', "kind": "\\ud83d\\ude00"}'
    assert JsonEvents().process(record(value))["kind"] == "\U0001f600"


def test_duplicate_keys_last_one_wins():
    value = event()[:-1] + b', "user_id": 7}'
    assert JsonEvents().process(record(value))["user_id"] == 7


def test_first_failing_check_wins():
    assert "'event_id'" in fails(b'{"user_id": "x"}', MissingField)


def test_null_value_reads_as_empty_text():
    fails(None, InvalidJson)


# --- passthrough ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"), [(b"k", b"\x00\xffbinary"), (None, b"v"), (b"k", b""), (None, None)]
)
def test_passthrough_returns_key_and_value_unchanged(key, value):
    assert passthrough(record(value, key)) == {"key": key, "value": value}


def test_passthrough_output_fits_its_schema():
    schema = T.StructType(
        [T.StructField("key", T.BinaryType()), T.StructField("value", T.BinaryType())]
    )
    row = passthrough(record(b"v"))
    assert output_rows(row, schema) == [{"key": b"k", "value": b"v"}]
    assert passthrough.output_schema == "key BINARY, value BINARY"
