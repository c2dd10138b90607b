"""The SQL JSON processor against the Python one, record for record: the bad-input catalogue
and the bench's data set, through ``mapInArrow`` (the job's Python path) and through
``processed_rows`` (the SQL path), on the same Spark rows."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from benchmarks.batches import HEADERS, KAFKA_SCHEMA, records
from jobs.core.processor import is_sql_processor
from jobs.io.schemas import processed_schema
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.apply_sql import processed_rows
from jobs.processors.sql_json import json_events
from tests.e2e.test_bad_input import CATALOGUE, MAX_RECORD_BYTES, START_MS

PYTHON = "jobs.processors.builtin:JsonEvents"
SQL = "jobs.processors.sql_json:json_events"
# Types whose messages are built the same way on both paths; the others say the same thing
# in other words (Python's json and codecs word their errors their own way).
SAME_MESSAGE = {
    "NullValue",
    "RecordTooLarge",
    "TimestampOutOfRange",
    "NotAnObject",
    "MissingField",
    "WrongFieldType",
    "NestingTooDeep",
}
SAME_PREFIX = {"InvalidJson": "value is not JSON", "UndecodableValue": "value is not UTF-8"}
Sent = tuple[bytes | None, bytes | None, tuple, int]  # key, value, headers, timestamp (ms)


def kafka_rows(spark, sent: list[Sent]) -> DataFrame:
    n = len(sent)
    headers = [[{"key": k, "value": v} for k, v in h] if h else None for _, _, h, _ in sent]
    table = pa.table(
        {
            "key": pa.array([s[0] for s in sent], pa.binary()),
            "value": pa.array([s[1] for s in sent], pa.binary()),
            "topic": pa.array(["differential"] * n),
            "partition": pa.array([0] * n, pa.int32()),
            "offset": pa.array(range(n), pa.int64()),
            "timestamp": pa.array([s[3] * 1000 for s in sent], pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "timestampType": pa.array([0] * n, pa.int32()),
            "headers": pa.array(headers, HEADERS),
        },
        schema=KAFKA_SCHEMA,
    )
    from jobs.pipeline.stamp import stamp

    return stamp(spark.createDataFrame(table), 0, "UTC")


def outcomes(processed: DataFrame) -> dict[int, dict[str, Any]]:
    columns = ["offset", "status", "error_type", "error_message", "key", "value", "output"]
    rows = processed.select(*columns, F.unix_micros("timestamp").alias("ts")).collect()
    return {r["offset"]: r.asDict(recursive=True) for r in rows}


def both(spark, sent: list[Sent]) -> tuple[dict, dict]:
    rows = kafka_rows(spark, sent).cache()
    schema = spark.createDataFrame([], json_events.output_schema).schema
    run = ProcessorRun(PYTHON, schema, MAX_RECORD_BYTES)
    python = rows.mapInArrow(run, processed_schema(schema))
    sql = processed_rows(
        rows, json_events, schema, processor_path=SQL, max_record_bytes=MAX_RECORD_BYTES
    )
    return outcomes(python), outcomes(sql)


def differences(python: dict, sql: dict, labels: list[str]) -> list[str]:
    found = []
    for offset, p in sorted(python.items()):
        s = sql[offset]
        label = f"{labels[offset]} (offset {offset})"
        for name in ("status", "error_type", "key", "value"):
            if p[name] != s[name]:
                found.append(f"{label}: {name} {p[name]!r:.80} | sql {s[name]!r:.80}")
        if not same_output(p["output"], s["output"]):
            found.append(f"{label}: output {p['output']} | sql {s['output']}")
        if not same_message(p["error_type"], p["error_message"], s["error_message"]):
            found.append(
                f"{label}: message {p['error_message']!r:.120} | sql {s['error_message']!r:.120}"
            )
    return found


def same_output(p: dict | None, s: dict | None) -> bool:
    if p is None or s is None:
        return p is s
    amounts = (p["amount"], s["amount"])
    signs = [math.copysign(1, a) if a is not None else None for a in amounts]
    return p == s and signs[0] == signs[1]


def same_message(error_type: str | None, p: str | None, s: str | None) -> bool:
    if p == s:
        return True
    if error_type in SAME_MESSAGE:
        return False
    if error_type in SAME_PREFIX:
        return bool(s) and s.startswith(SAME_PREFIX[error_type])
    if error_type == "NumberOutOfRange":
        return bool(s) and p.split(" = ")[0].split(":")[0] == s.split(" = ")[0].split(":")[0]
    return False


def catalogue_records() -> tuple[list[Sent], list[str]]:
    sent, labels = [], []
    for kind in CATALOGUE:
        s = kind.send
        when = s.timestamp_ms if s.timestamp_ms is not None else START_MS
        sent.append((s.key, s.value, s.headers, when))
        labels.append(kind.name)
    return sent, labels


def test_the_sql_json_processor_is_declared_as_one():
    assert is_sql_processor(json_events)
    assert (
        json_events.output_schema == "event_id STRING, user_id BIGINT, amount DOUBLE, kind STRING"
    )


@pytest.mark.slow
def test_every_catalogue_record_gets_the_same_outcome_on_both_paths(spark):
    sent, labels = catalogue_records()
    python, sql = both(spark, sent)
    assert len(python) == len(sql) == len(CATALOGUE)
    assert differences(python, sql, labels) == []
    by_type = {p["error_type"] for p in python.values()}
    assert {"UndecodableValue", "InvalidJson", "NumberOutOfRange", "NestingTooDeep"} <= by_type


EDGES = [
    b'{"event_id": "e", "user_id": 4.0, "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": 4e0, "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": -0, "amount": -0.000, "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": 0.1000000000000000055511151231257827, "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": 123456789012345678.9, "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": 9007199254740993, "kind": "k"}',
    b'{"event_id": "e", "user_id": 9223372036854775807, "amount": 1e308, "kind": "k"}',
    b'{"event_id": "e", "user_id": -9223372036854775809, "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": ' + b"1" * 40 + b', "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": ' + b"1" * 2000 + b', "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": ' + b"1" * 2000 + b', "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind": "k", "n": ' + b"1" * 2000 + b"}",
    b'{"event_id": "e", "user_id": 7, "amount": true, "kind": "k"}',
    b'{"event_id": 1.5, "user_id": 7, "amount": 1, "kind": "k"}',
    b'{"event_id": ["a"], "user_id": null, "amount": 1, "kind": "k"}',
    b'{"event_id": "\\ud800", "user_id": "x", "amount": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": "x", "amount": 1, "kind": "\\ud800"}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind": "k", "note": "\\udc00"}',
    b'{"event_id": "e\\\\ud800", "user_id": 7, "amount": 1, "kind": "\\ud83d\\ude00"}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind\\ud800": 1, "kind": "k"}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind": "a", "kind": "b"}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind": "k"}, {}',
    b'{"event_id": "e", "user_id": 7, "amount": 1, "kind": "k"} \r\n',
    b"4.0",
    b"-12",
    b"true",
    b"1e999",
    b"[]",
    b"{",
    b'{"a": Infinity}',
    b"\xf4\x90\x80\x80",
]


def test_numbers_surrogates_and_other_edges_get_the_same_outcome(spark):
    sent = [(b"k", value, (), START_MS) for value in EDGES]
    python, sql = both(spark, sent)
    labels = [value[:60].decode("utf-8", "replace") for value in EDGES]
    assert differences(python, sql, labels) == []


@pytest.mark.slow
def test_the_bench_data_gets_the_same_outcome_on_both_paths(spark):
    found = records(50_000)
    sent = [(r.key, r.value, (), r.timestamp_ms) for r in found]
    python, sql = both(spark, sent)
    labels = [r.expected_error or "ok" for r in found]
    assert differences(python, sql, labels) == []
    statuses = {(p["status"], p["error_type"]) for p in python.values()}
    assert ("ok", None) in statuses and len(statuses) == 7
