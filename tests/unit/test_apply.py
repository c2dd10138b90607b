"""``jobs.pipeline.apply.ProcessorRun`` called directly over Arrow batches, without Spark.

The batches are shaped like the job's stamped Kafka rows; the processors are modules written
into ``tmp_path``. Every record gets its own outcome: one bad record never touches another.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from jobs.core.errors import ConfigError
from jobs.io.schemas import processed_schema
from jobs.pipeline.apply import ProcessorRun

OUTPUT = T.StructType([T.StructField("text", T.StringType()), T.StructField("n", T.IntegerType())])
PROCESSED = to_arrow_schema(processed_schema(OUTPUT), timezone="UTC")
HEADERS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
STAMPED = pa.schema(
    [
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("timestamp_type", pa.int32()),
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("headers", HEADERS),
        ("batch_id", pa.int64()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
        ("date", pa.string()),
        ("hour", pa.string()),
    ]
)
START = datetime(2026, 11, 22, 9, 58, tzinfo=UTC)

PROCESSORS = """
import asyncio
import sys
import time
from jobs.processor import processor


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class Halt(BaseException):
    pass


REUSED = {}


@processor("text STRING, n INT")
def by_value(record):
    command = record.value.decode()
    if command == "ok":
        return {"text": f"ok@{record.offset}", "n": record.partition}
    if command == "filter":
        return None
    if command == "empty-list":
        return []
    if command.startswith("fanout:"):
        return [{"text": "fan", "n": i} for i in range(int(command[7:]))]
    if command == "value-error":
        raise ValueError("not a good value")
    if command == "hang":
        try:
            time.sleep(60)
        except Exception:
            return {"text": "swallowed", "n": 0}
    if command == "key-error":
        return {"text": {}["absent"], "n": 0}
    if command == "zero":
        return {"text": "x", "n": 1 // 0}
    if command == "unprintable":
        raise Unprintable()
    if command == "exit":
        sys.exit(3)
    if command == "cancelled":
        raise asyncio.CancelledError("cancelled inside the processor")
    if command == "generator-exit":
        raise GeneratorExit("raised by hand")
    if command == "halt":
        raise Halt("a BaseException of the processor's own")
    if command == "interrupt":
        raise KeyboardInterrupt
    if command == "reuse":
        REUSED.update(text="reused", n=record.offset)
        return REUSED
    if command == "when":
        return {"text": record.timestamp.isoformat(), "n": 0}
    if command == "int":
        return 42
    if command == "missing-field":
        return {"text": "x"}
    if command == "wrong-type":
        return {"text": "x", "n": "one"}
    if command == "too-big-int":
        return {"text": "x", "n": 2**40}
    if command == "surrogate-message":
        raise ValueError(b"bad \\xff byte".decode("utf-8", "surrogateescape"))
    if command == "surrogate-output":
        return {"text": b"\\xff".decode("utf-8", "surrogateescape"), "n": 1}
    if command == "header":
        return {"text": (record.header("trace") or b"").decode(), "n": len(record.headers)}
    if command == "key":
        return {"text": repr(record.key), "n": 0}
    raise AssertionError(f"unknown command {command!r}")


CALLS = []


@processor("text STRING, n INT")
class Counting:
    def open(self):
        CALLS.append("open")

    def process(self, record):
        CALLS.append(record.offset)
        if record.value == b"boom":
            raise KeyError("boom")
        return {"text": "c", "n": record.offset}

    def close(self):
        CALLS.append("close")
"""


@pytest.fixture
def module(make_module) -> str:
    return make_module(PROCESSORS)


def stamped(values, *, keys=None, topic="orders", batch_id=7, headers=None) -> pa.RecordBatch:
    """One stamped Kafka row per value: partitions 0/1 alternate, offsets 100, 101, …"""
    n = len(values)
    times = [START + timedelta(minutes=i) for i in range(n)]
    columns = {
        "topic": [topic] * n,
        "partition": [i % 2 for i in range(n)],
        "offset": [100 + i for i in range(n)],
        "timestamp": times,
        "timestamp_type": [0] * n,
        "key": keys if keys is not None else [f"k{i}".encode() for i in range(n)],
        "value": values,
        "headers": headers or [[("trace", f"t{i}".encode())] for i in range(n)],
        "batch_id": [batch_id] * n,
        "ingested_at": [datetime(2026, 11, 22, 12, tzinfo=UTC)] * n,
        "date": [t.strftime("%Y-%m-%d") for t in times],
        "hour": [t.strftime("%H") for t in times],
    }
    columns["headers"] = [[{"key": k, "value": v} for k, v in h] for h in columns["headers"]]
    return pa.RecordBatch.from_pydict(columns, schema=STAMPED)


def run(
    module: str,
    values,
    *,
    attribute="by_value",
    max_record_bytes=1024,
    record_timeout=None,
    **kwargs,
):
    batch = stamped([v.encode() if isinstance(v, str) else v for v in values], **kwargs)
    processor = ProcessorRun(f"{module}:{attribute}", OUTPUT, max_record_bytes, record_timeout)
    results = list(processor(iter([batch])))
    assert len(results) == 1
    assert results[0].schema == PROCESSED
    return results[0].to_pylist()


def by_offset(rows: list[dict]) -> dict[int, dict]:
    """The single row of each record (not for fan-out records)."""
    found: dict[int, dict] = {}
    for row in rows:
        assert row["offset"] not in found
        found[row["offset"]] = row
    return found


# --- statuses ------------------------------------------------------------------------------


def test_ok_record_carries_output_and_no_value(module):
    (row,) = run(module, ["ok"])
    assert row["status"] == "ok"
    assert row["output"] == {"text": "ok@100", "n": 0}
    assert row["output_index"] == 0
    assert row["value"] is None
    assert row["headers"] is None
    assert row["key"] == b"k0"
    assert row["error_type"] is None
    assert row["error_message"] is None
    assert row["error_stack"] is None
    assert row["failed_at"] is None


@pytest.mark.parametrize("command", ["filter", "empty-list"])
def test_no_output_is_filtered(module, command):
    (row,) = run(module, [command])
    assert row["status"] == "filtered"
    assert row["output"] is None
    assert row["value"] is None
    assert row["error_type"] is None
    assert row["output_index"] == 0


def test_fan_out_counts_output_index(module):
    rows = run(module, ["fanout:3"])
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert [r["output_index"] for r in rows] == [0, 1, 2]
    assert [r["output"] for r in rows] == [{"text": "fan", "n": i} for i in range(3)]
    assert {r["offset"] for r in rows} == {100}
    assert {r["key"] for r in rows} == {b"k0"}


@pytest.mark.parametrize(
    ("command", "error_type", "in_message"),
    [
        ("value-error", "ValueError", "not a good value"),
        ("key-error", "KeyError", "'absent'"),
        ("zero", "ZeroDivisionError", "division"),
        ("unprintable", "Unprintable", "could not be printed"),
        ("exit", "SystemExit", "3"),
        ("cancelled", "CancelledError", "cancelled inside"),
        ("generator-exit", "GeneratorExit", "by hand"),
        ("halt", "Halt", "of the processor's own"),
        ("int", "OutputSchemaMismatch", "returned int"),
        ("missing-field", "OutputSchemaMismatch", "missing ['n']"),
        ("wrong-type", "OutputSchemaMismatch", "'n'"),
        ("too-big-int", "OutputSchemaMismatch", "'n'"),
    ],
)
def test_failures_become_error_rows(module, command, error_type, in_message):
    (row,) = run(module, [command])
    assert row["status"] == "error"
    assert row["error_type"] == error_type
    assert in_message in row["error_message"]
    assert row["error_stack"]
    assert row["output"] is None
    assert row["value"] == command.encode()
    assert row["headers"] == [{"key": "trace", "value": b"t0"}]
    assert row["key"] == b"k0"
    assert row["output_index"] == 0
    assert isinstance(row["failed_at"], datetime)


def test_stack_of_a_processor_exception_names_the_processor(module):
    (row,) = run(module, ["value-error"])
    assert "by_value" in row["error_stack"]
    assert "ValueError: not a good value" in row["error_stack"]


def test_null_value_is_an_error_without_calling_the_processor(module):
    (row,) = run(module, [None])
    assert row["status"] == "error"
    assert row["error_type"] == "NullValue"
    assert row["value"] is None
    assert row["headers"] == [{"key": "trace", "value": b"t0"}]


def test_record_too_large_counts_key_and_value(module):
    rows = by_offset(
        run(module, ["ok", "ok", "ok"], keys=[b"k" * 6, b"k" * 7, None], max_record_bytes=8)
    )
    assert rows[100]["status"] == "ok"  # 6 + 2 bytes: exactly the limit
    assert rows[101]["status"] == "error"  # 7 + 2 bytes
    assert rows[101]["error_type"] == "RecordTooLarge"
    assert "9 bytes" in rows[101]["error_message"]
    assert rows[101]["value"] == b"ok"
    assert rows[102]["status"] == "ok"  # no key


def test_keyboard_interrupt_is_not_a_record_error_but_stops_the_task(module):
    with pytest.raises(KeyboardInterrupt):
        run(module, ["ok", "interrupt", "ok"])


def test_a_processor_reusing_its_output_dict_gets_one_row_per_record(module):
    rows = run(module, ["reuse", "reuse", "reuse"])
    assert [r["output"] for r in rows] == [{"text": "reused", "n": n} for n in (100, 101, 102)]


def test_timestamps_from_year_1_to_9999_reach_the_processor_in_utc(module):
    micros = [-62135596800000000, 0, -1, 253402300799999999]
    rows = run_with_timestamps(module, micros)
    assert [r["output"]["text"] for r in rows] == [
        "0001-01-01T00:00:00+00:00",
        "1970-01-01T00:00:00+00:00",
        "1969-12-31T23:59:59.999999+00:00",
        "9999-12-31T23:59:59.999999+00:00",
    ]


def test_a_timestamp_beyond_year_9999_is_an_error_row_not_a_failed_task(module):
    rows = run_with_timestamps(module, [0, 253402300800000000, -62135596800000001, 1000])
    assert [r["status"] for r in rows] == ["ok", "error", "error", "ok"]
    assert {r["error_type"] for r in rows[1:3]} == {"TimestampOutOfRange"}
    assert "253402300800000 ms" in rows[1]["error_message"]
    assert rows[1]["timestamp"] == 253402300800000000
    assert rows[1]["value"] == b"when"


def run_with_timestamps(module: str, micros: list[int]) -> list[dict]:
    """Run over records with these timestamps; the result's timestamps come back as micros."""
    batch = stamped([b"when"] * len(micros))
    i = batch.schema.get_field_index("timestamp")
    times = pa.array(micros, pa.int64()).cast(batch.schema.field(i).type)
    (result,) = ProcessorRun(f"{module}:by_value", OUTPUT, 1024)(
        iter([batch.set_column(i, batch.schema.field(i), times)])
    )
    assert result.schema == PROCESSED
    i = result.schema.get_field_index("timestamp")
    return result.set_column(i, "timestamp", result.column(i).cast(pa.int64())).to_pylist()


def test_record_too_large_wins_over_a_processor_that_would_fail(module):
    (row,) = run(module, ["value-error"], max_record_bytes=5)
    assert row["error_type"] == "RecordTooLarge"


# --- isolation and coordinates -------------------------------------------------------------

MIXED = [
    "ok",
    "value-error",
    "filter",
    "exit",
    "fanout:3",
    None,
    "unprintable",
    "int",
    "key-error",
    "ok",
    "zero",
    "missing-field",
    "fanout:0",
    "ok",
]


def test_one_bad_record_does_not_touch_its_neighbours(module):
    rows = run(module, MIXED)
    outcomes = [(r["offset"], r["status"], r["error_type"], r["output_index"]) for r in rows]
    assert outcomes == [
        (100, "ok", None, 0),
        (101, "error", "ValueError", 0),
        (102, "filtered", None, 0),
        (103, "error", "SystemExit", 0),
        (104, "ok", None, 0),
        (104, "ok", None, 1),
        (104, "ok", None, 2),
        (105, "error", "NullValue", 0),
        (106, "error", "Unprintable", 0),
        (107, "error", "OutputSchemaMismatch", 0),
        (108, "error", "KeyError", 0),
        (109, "ok", None, 0),
        (110, "error", "ZeroDivisionError", 0),
        (111, "error", "OutputSchemaMismatch", 0),
        (112, "filtered", None, 0),
        (113, "ok", None, 0),
    ]
    for row in rows:
        i = row["offset"] - 100
        assert row["key"] == f"k{i}".encode()
        if row["status"] == "error":
            assert row["value"] == (MIXED[i].encode() if MIXED[i] else None)
            assert row["headers"] == [{"key": "trace", "value": f"t{i}".encode()}]
        else:
            assert row["value"] is None and row["headers"] is None
    assert rows[0]["output"] == {"text": "ok@100", "n": 0}
    assert rows[11]["output"] == {"text": "ok@109", "n": 1}


def test_coordinates_are_carried_through(module):
    values = ["ok", "value-error", "filter", "fanout:2"]
    batch = stamped([v.encode() for v in values], topic="payments", batch_id=42)
    (result,) = ProcessorRun(f"{module}:by_value", OUTPUT, 1024)(iter([batch]))
    source = {r["offset"]: r for r in batch.to_pylist()}
    rows = result.to_pylist()
    assert len(rows) == 5
    for row in rows:
        original = source[row["offset"]]
        for column in ("topic", "partition", "offset", "timestamp", "timestamp_type"):
            assert row[column] == original[column]
        assert (row["date"], row["hour"]) == (original["date"], original["hour"])
        assert row["batch_id"] == 42
        assert row["topic"] == "payments"
    assert [(r["date"], r["hour"]) for r in rows][:2] == [("2026-11-22", "09")] * 2
    assert (rows[-1]["date"], rows[-1]["hour"]) == ("2026-11-22", "10")


def test_processor_sees_key_and_headers(module):
    rows = run(
        module,
        ["header", "header", "key"],
        keys=[b"a", b"b", None],
        headers=[[("x", b"1"), ("trace", b"T")], [], [("trace", None)]],
    )
    assert [r["output"] for r in rows] == [
        {"text": "T", "n": 2},
        {"text": "", "n": 0},
        {"text": "None", "n": 0},
    ]


def test_surrogates_in_a_message_or_an_output_do_not_fail_the_batch(module):
    rows = run(module, ["ok", "surrogate-message", "surrogate-output", "ok"])
    assert [r["status"] for r in rows] == ["ok", "error", "error", "ok"]
    assert rows[1]["error_type"] == "ValueError"
    assert "bad" in rows[1]["error_message"]
    assert rows[2]["error_type"] == "OutputSchemaMismatch"


# --- batches and life cycle ----------------------------------------------------------------


def test_every_batch_gives_one_batch_and_the_processor_opens_once(module):
    batches = [stamped([b"1", b"boom"]), stamped([]), stamped([b"3"])]
    results = list(ProcessorRun(f"{module}:Counting", OUTPUT, 1024)(iter(batches)))
    assert [r.num_rows for r in results] == [2, 0, 1]
    assert all(r.schema == PROCESSED for r in results)
    assert [r["status"] for r in results[0].to_pylist()] == ["ok", "error"]
    assert results[0].to_pylist()[1]["error_type"] == "KeyError"
    assert __import__(module).CALLS == ["open", 100, 101, 100, "close"]


def test_close_runs_when_the_consumer_stops_early(module):
    batches = iter([stamped([b"1"]), stamped([b"2"])])
    results = ProcessorRun(f"{module}:Counting", OUTPUT, 1024)(batches)
    next(results)
    results.close()
    assert __import__(module).CALLS == ["open", 100, "close"]


def test_empty_batch(module):
    assert run(module, []) == []


def test_a_broken_processor_path_fails_the_task_with_a_config_error():
    with pytest.raises(ConfigError):
        list(ProcessorRun("no_such_module_xyz:thing", OUTPUT, 1024)(iter([stamped([b"ok"])])))


def test_processor_run_is_picklable(module):
    run_ = ProcessorRun(f"{module}:by_value", OUTPUT, 10)
    assert pickle.loads(pickle.dumps(run_)) == run_


def test_a_record_past_the_time_limit_is_a_timeout_row_that_except_exception_cannot_swallow(
    module,
):
    rows = sorted(run(module, ["ok", "hang", "ok"], record_timeout=0.3), key=lambda r: r["offset"])
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]
    assert rows[1]["error_type"] == "Timeout"
    assert "--record-timeout" in rows[1]["error_message"]
