"""The bad-input catalogue: every kind of bad record a real topic or a real processor produces,
sent through ONE run of the job against the real broker, with real Spark and Delta tables.

Each kind is one line of ``CATALOGUE``: the record to send (its ``cmd`` header tells
``catalogue_processor`` what to do; without one the built-in JSON processor parses the value)
and the outcome. Three copies of each kind (more where a kind needs several in one partition)
go to three partitions, each after a good record; good records follow them all. The job reads
everything in two micro-batches (``--max-offsets-per-trigger``), so the stream is seen to go on
past every bad record.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from jobs.core.failures import MAX_MESSAGE_CHARS
from jobs.core.partitioning import partition_values
from kafka_utils import Message, Record
from kafka_utils.pytest_plugin import new_name
from tests.catalogue_processor import ODD_MESSAGE, PARIS_TIME
from tests.integration.job_runs import JobPaths, run_in_process, summary_from, table

pytestmark = pytest.mark.e2e

PROCESSOR = "catalogue_processor:catalogue"
MAX_RECORD_BYTES = 65_536
MAX_OFFSETS_PER_TRIGGER = 400
PARTITIONS = 3
COPIES = 3
TAIL = 5
START_MS = 1_795_338_000_000  # 2026-11-22T09:00:00Z
YEAR_10000_MS = 253_402_300_800_000
Coordinates = tuple[int, int]


def event(event_id: str, **changes: Any) -> bytes:
    body = {"event_id": event_id, "user_id": 7, "amount": 1.5, "kind": "view", **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...}, ensure_ascii=False).encode()


def sized_event(size: int) -> bytes:
    """A good event of exactly ``size`` bytes."""
    bare = event("sized", note="")
    return event("sized", note="x" * (size - len(bare)))


GOOD = event("bad-input")


@dataclass(frozen=True)
class Send:
    value: bytes | None = GOOD
    key: bytes | None = b"key"
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int | None = None


def cmd(command: str, value: bytes | None = GOOD, *extra: tuple[str, bytes]) -> Send:
    return Send(value, headers=(("cmd", command.encode()), *extra))


def raw(value: bytes | None, **fields: Any) -> Send:
    return Send(value, **fields)


Check = Callable[[list[dict], dict], bool]


@dataclass(frozen=True)
class Expect:
    """``status`` of each copy; ``rows`` output rows when ok; ``check(outcome, backup)`` gets
    the output rows (ok) or the one DLQ row (error) and the record's backup row."""

    status: str
    error_type: str | None = None
    in_message: str = ""
    rows: int = 1
    check: Check | None = None


def dlq(error_type: str, in_message: str = "", check: Check | None = None) -> Expect:
    return Expect("error", error_type, in_message, 0, check)


def ok(rows: int = 1, check: Check | None = None) -> Expect:
    return Expect("ok", rows=rows, check=check)


FILTERED = Expect("filtered", rows=0)


@dataclass(frozen=True)
class Kind:
    name: str
    send: Send
    expect: Expect
    copies: int = COPIES


def first(name: str, expected: Any) -> Check:
    return lambda rows, backup: rows[0][name] == expected


def placed_at(date: str, hour: str, at_micros: int | None) -> Check:
    def holds(rows: list[dict], backup: dict) -> bool:
        at_ok = at_micros is None or rows[0]["at"] == at_micros
        return (backup["date"], backup["hour"]) == (date, hour) and at_ok

    return holds


def micros(when: dt.datetime) -> int:
    return (when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


CATALOGUE: list[Kind] = [
    # --- the record itself: key, value, size, headers, timestamp ---------------------------
    Kind("tombstone", raw(None), dlq("NullValue", "tombstone")),
    Kind("tombstone-with-oversized-key", raw(None, key=b"k" * 70_000), dlq("NullValue")),
    Kind("null-key", raw(GOOD, key=None), ok(check=first("event_id", "bad-input"))),
    Kind("empty-key", raw(GOOD, key=b""), ok()),
    Kind("binary-key", raw(GOOD, key=b"\xff\x00\xfe"), ok()),
    Kind("empty-value", raw(b""), dlq("InvalidJson")),
    Kind("value-at-the-size-limit", raw(sized_event(MAX_RECORD_BYTES - 3)), ok()),
    Kind(
        "value-one-byte-over-the-limit",
        raw(sized_event(MAX_RECORD_BYTES - 2)),
        dlq("RecordTooLarge", f"{MAX_RECORD_BYTES + 1} bytes"),
    ),
    Kind("key-over-the-limit", raw(GOOD, key=b"k" * MAX_RECORD_BYTES), dlq("RecordTooLarge")),
    Kind("huge-header", raw(GOOD, headers=(("big", b"h" * 200_000),)), ok(check=first("n", 1))),
    Kind("non-utf8-header", raw(GOOD, headers=(("bin", b"\xff\xfe\x00"),)), ok()),
    Kind(
        "non-utf8-header-on-a-failing-record",
        cmd("raise:ValueError", GOOD, ("bin", b"\xff\xfe\x00"), ("empty", b"")),
        dlq("ValueError"),
    ),
    Kind(
        "duplicate-header-keys",
        cmd("raise:KeyError", GOOD, ("cmd", b"filter"), ("cmd", b"json")),
        dlq("KeyError", "'absent'"),
    ),
    Kind("empty-header-name-and-value", raw(GOOD, headers=(("", b""),)), ok()),
    Kind(
        "three-hundred-headers",
        raw(GOOD, headers=tuple((f"h{i}", b"v") for i in range(300))),
        ok(check=first("n", 300)),
    ),
    Kind(
        "timestamp-at-epoch-0",
        raw(GOOD, timestamp_ms=0),
        ok(check=placed_at("1970-01-01", "00", 0)),
    ),
    Kind(
        "timestamp-before-the-epoch",
        raw(GOOD, timestamp_ms=-1_000),
        ok(check=placed_at("1969-12-31", "23", -1_000_000)),
    ),
    Kind(
        "timestamp-last-ms-of-year-9999",
        raw(GOOD, timestamp_ms=YEAR_10000_MS - 1),
        ok(check=placed_at("9999-12-31", "23", (YEAR_10000_MS - 1) * 1000)),
    ),
    Kind(
        "timestamp-in-year-10000",
        raw(GOOD, timestamp_ms=YEAR_10000_MS),
        dlq("TimestampOutOfRange", str(YEAR_10000_MS), placed_at("+10000-01-01", "00", None)),
    ),
    Kind(
        "timestamp-in-microseconds-by-mistake",
        raw(GOOD, timestamp_ms=START_MS * 1000),
        dlq("TimestampOutOfRange", str(START_MS * 1000)),
    ),
    # --- the value as JSON, through the built-in JSON processor ----------------------------
    Kind("invalid-utf8", raw(b'{"event_id": "\xff"}'), dlq("UndecodableValue", "UTF-8")),
    Kind("truncated-utf8-sequence", raw(b'{"kind": "caf\xc3"}'), dlq("UndecodableValue")),
    Kind("utf8-encoded-surrogate", raw(b'"\xed\xa0\x80"'), dlq("UndecodableValue")),
    Kind("overlong-utf8", raw(b'{"kind": "\xc0\xaf"}'), dlq("UndecodableValue")),
    Kind(
        "latin-1-text",
        raw(GOOD.replace(b"bad-input", "café".encode("latin-1"))),
        dlq("UndecodableValue"),
    ),
    Kind("utf-16-text", raw(GOOD.decode().encode("utf-16")), dlq("UndecodableValue")),
    Kind(
        "escaped-lone-surrogate",
        raw(GOOD[:-1] + b', "kind": "\\ud800"}'),
        dlq("UndecodableValue", "'kind'"),
    ),
    Kind("utf8-bom", raw(b"\xef\xbb\xbf" + GOOD), dlq("InvalidJson", "BOM")),
    Kind("not-json", raw(b"not json at all"), dlq("InvalidJson")),
    Kind("truncated-json", raw(GOOD[:-7]), dlq("InvalidJson")),
    Kind("whitespace-only", raw(b" \n\t "), dlq("InvalidJson")),
    Kind("nul-bytes", raw(b"\x00" * 16), dlq("InvalidJson")),
    Kind("trailing-garbage", raw(GOOD + b" }x"), dlq("InvalidJson", "Extra data")),
    Kind("two-objects", raw(GOOD + GOOD), dlq("InvalidJson")),
    Kind("single-quotes", raw(b"{'event_id': 'x'}"), dlq("InvalidJson")),
    Kind(
        "raw-control-character",
        raw(event("a\x01b").replace(b"\\u0001", b"\x01")),
        dlq("InvalidJson"),
    ),
    Kind("nan-literal", raw(GOOD.replace(b"1.5", b"NaN")), dlq("InvalidJson", "NaN")),
    Kind("infinity-literal", raw(GOOD.replace(b"1.5", b"-Infinity")), dlq("InvalidJson")),
    Kind("json-array", raw(b"[1, 2, 3]"), dlq("NotAnObject", "list")),
    Kind("json-string", raw(b'"just a string"'), dlq("NotAnObject", "str")),
    Kind("json-number", raw(b"42"), dlq("NotAnObject", "int")),
    Kind("json-null", raw(b"null"), dlq("NotAnObject", "NoneType")),
    Kind("empty-object", raw(b"{}"), dlq("MissingField", "'event_id'")),
    Kind("missing-field", raw(event("e", amount=...)), dlq("MissingField", "'amount'")),
    Kind("null-field", raw(event("e", kind=None)), dlq("MissingField", "'kind'")),
    Kind("string-for-int", raw(event("e", user_id="42")), dlq("WrongFieldType", "'user_id'")),
    Kind("bool-for-int", raw(event("e", user_id=True)), dlq("WrongFieldType", "bool")),
    Kind("float-for-int", raw(event("e", user_id=4.0)), dlq("WrongFieldType", "float")),
    Kind("object-for-string", raw(event("e", kind={"a": 1})), dlq("WrongFieldType", "dict")),
    Kind("int-over-bigint", raw(event("e", user_id=2**64)), dlq("NumberOutOfRange", "BIGINT")),
    Kind(
        "float-over-double", raw(GOOD.replace(b"1.5", b"1e400")), dlq("NumberOutOfRange", "DOUBLE")
    ),
    Kind("int-over-double", raw(event("e", amount=10**400)), dlq("NumberOutOfRange", "DOUBLE")),
    Kind(
        "five-thousand-digit-number",
        raw(GOOD.replace(b"7", b"9" * 5000)),
        dlq("NumberOutOfRange", "too long"),
    ),
    Kind("deep-nesting-unclosed", raw(b"[" * 50_000), dlq("NestingTooDeep")),
    Kind("deep-nesting-closed", raw(b"[" * 30_000 + b"]" * 30_000), dlq("NestingTooDeep")),
    Kind(
        "deep-nesting-in-a-field",
        raw(GOOD[:-1] + b', "extra": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"),
        dlq("NestingTooDeep"),
    ),
    Kind("escaped-nul-in-a-string", raw(event("a\x00b")), ok(check=first("event_id", "a\x00b"))),
    Kind("duplicate-json-keys", raw(GOOD[:-1] + b', "user_id": 8}'), ok(check=first("user_id", 8))),
    Kind(
        "negative-zero",
        raw(event("e", user_id=-0, amount=-0.0)),
        ok(check=lambda rows, b: math.copysign(1, rows[0]["amount"]) == -1),
    ),
    Kind("float-underflow", raw(GOOD.replace(b"1.5", b"1e-400")), ok(check=first("amount", 0.0))),
    Kind(
        "unicode-everywhere",
        raw(event("ü-✓-💥-שלום", kind="\u0301combining")),
        ok(check=first("event_id", "ü-✓-💥-שלום")),
    ),
    Kind(
        "three-thousand-extra-fields",
        raw(event("e", **{f"f{i}": i for i in range(3000)})),
        ok(check=first("event_id", "e")),
    ),
    # --- processor exceptions ---------------------------------------------------------------
    Kind("ValueError", cmd("raise:ValueError"), dlq("ValueError", "raised on purpose")),
    Kind("KeyError", cmd("raise:KeyError"), dlq("KeyError", "'absent'")),
    Kind("TypeError", cmd("raise:TypeError"), dlq("TypeError")),
    Kind("ZeroDivisionError", cmd("raise:ZeroDivisionError"), dlq("ZeroDivisionError")),
    Kind("AttributeError", cmd("raise:AttributeError"), dlq("AttributeError", "no_such_field")),
    Kind("IndexError", cmd("raise:IndexError"), dlq("IndexError")),
    Kind("OverflowError", cmd("raise:OverflowError"), dlq("OverflowError")),
    Kind(
        "UnicodeDecodeError",
        cmd("raise:UnicodeDecodeError", b"\xff\xfe"),
        dlq("UnicodeDecodeError"),
    ),
    Kind("JSONDecodeError", cmd("raise:JSONDecodeError", b"{"), dlq("JSONDecodeError")),
    Kind(
        "FileNotFoundError", cmd("raise:FileNotFoundError"), dlq("FileNotFoundError", "lookup.csv")
    ),
    Kind("NotImplementedError", cmd("raise:NotImplementedError"), dlq("NotImplementedError")),
    Kind("AssertionError", cmd("raise:AssertionError"), dlq("AssertionError", "invariant")),
    Kind("mutating-the-record", cmd("raise:FrozenInstanceError"), dlq("FrozenInstanceError")),
    Kind("endless-recursion", cmd("raise:RecursionError"), dlq("RecursionError", "recursion")),
    Kind("MemoryError", cmd("raise:MemoryError"), dlq("MemoryError")),
    Kind("StopIteration", cmd("raise:StopIteration"), dlq("StopIteration")),
    Kind("warning-raised", cmd("raise:UserWarning"), dlq("UserWarning", "warning")),
    Kind("sys-exit-3", cmd("raise:SystemExit"), dlq("SystemExit", "3")),
    Kind("sys-exit-0", cmd("raise:SystemExit0"), dlq("SystemExit", "0")),
    Kind("asyncio-CancelledError", cmd("raise:CancelledError"), dlq("CancelledError", "cancelled")),
    Kind("GeneratorExit", cmd("raise:GeneratorExit"), dlq("GeneratorExit")),
    Kind("own-BaseException", cmd("raise:BaseException"), dlq("Halt", "halt")),
    Kind("ExceptionGroup", cmd("raise:ExceptionGroup"), dlq("ExceptionGroup", "two failures")),
    Kind(
        "chained-exception",
        cmd("raise:chained"),
        dlq("RuntimeError", "enrichment", lambda rows, b: "KeyError" in rows[0]["error_stack"]),
    ),
    Kind(
        "unprintable-message", cmd("raise:unprintable"), dlq("Unprintable", "could not be printed")
    ),
    Kind(
        "str-returns-non-string",
        cmd("raise:str-not-a-string"),
        dlq("NotAString", "could not be printed"),
    ),
    Kind(
        "odd-message",
        cmd("raise:odd-message"),
        dlq("ValueError", check=lambda rows, b: rows[0]["error_message"] == ODD_MESSAGE),
    ),
    Kind(
        "surrogate-message", cmd("raise:surrogate-message"), dlq("ValueError", "bad \\udcff byte")
    ),
    Kind(
        "megabyte-message",
        cmd("raise:huge-message"),
        dlq("ValueError", check=lambda rows, b: len(rows[0]["error_message"]) == MAX_MESSAGE_CHARS),
    ),
    Kind("non-ascii-class-name", cmd("raise:non-ascii-class"), dlq("ÉchecDeTraitement", "échec")),
    Kind(
        "RecordError-with-own-type", cmd("raise:custom-error-type"), dlq("BadPayload", "rejected")
    ),
    Kind("RecordError-with-int-type", cmd("raise:non-str-error-type"), dlq("Coded", "404")),
    # --- processor output -------------------------------------------------------------------
    Kind("returns-an-int", cmd("out:int"), dlq("OutputSchemaMismatch", "returned int")),
    Kind("returns-a-string", cmd("out:str"), dlq("OutputSchemaMismatch", "returned str")),
    Kind("returns-a-generator", cmd("out:generator"), dlq("OutputSchemaMismatch", "generator")),
    Kind(
        "returns-a-list-with-None",
        cmd("out:list-with-none"),
        dlq("OutputSchemaMismatch", "NoneType"),
    ),
    Kind(
        "returns-a-pyspark-Row", cmd("out:pyspark-row"), dlq("OutputSchemaMismatch", "not a dict")
    ),
    Kind("returns-a-tuple-of-rows", cmd("out:tuple-of-rows"), ok(rows=2)),
    Kind("returns-None", cmd("filter"), FILTERED),
    Kind("returns-an-empty-list", cmd("out:empty-list"), FILTERED),
    Kind(
        "non-string-keys", cmd("out:non-str-keys"), dlq("OutputSchemaMismatch", "unexpected ['1']")
    ),
    Kind(
        "missing-column", cmd("out:missing-column"), dlq("OutputSchemaMismatch", "missing ['kind']")
    ),
    Kind(
        "extra-column", cmd("out:extra-column"), dlq("OutputSchemaMismatch", "unexpected ['extra']")
    ),
    Kind("string-for-INT", cmd("out:str-for-int"), dlq("OutputSchemaMismatch", "'n' is str")),
    Kind(
        "bytes-for-STRING",
        cmd("out:bytes-for-string"),
        dlq("OutputSchemaMismatch", "'kind' is bytes"),
    ),
    Kind("int-over-INT", cmd("out:int-over-INT"), dlq("OutputSchemaMismatch", "'n'")),
    Kind("int-over-BIGINT", cmd("out:int-over-BIGINT"), dlq("OutputSchemaMismatch", "'user_id'")),
    Kind("nan-for-INT", cmd("out:nan-for-INT"), dlq("OutputSchemaMismatch", "'n' is float")),
    Kind("bool-for-INT", cmd("out:bool-for-INT"), dlq("OutputSchemaMismatch", "'n' is bool")),
    Kind("numpy-int64-for-INT", cmd("out:numpy-int"), dlq("OutputSchemaMismatch", "int64")),
    Kind(
        "null-for-NOT-NULL", cmd("out:null-for-not-null"), dlq("OutputSchemaMismatch", "NOT NULL")
    ),
    Kind("lone-surrogate-string", cmd("out:lone-surrogate"), dlq("OutputSchemaMismatch", "'kind'")),
    Kind("pandas-NaT-timestamp", cmd("out:nat-timestamp"), dlq("OutputSchemaMismatch", "NaTType")),
    Kind("tzinfo-that-raises", cmd("out:broken-zone"), dlq("OutputSchemaMismatch", "'at'")),
    Kind(
        "string-for-TIMESTAMP", cmd("out:string-for-timestamp"), dlq("OutputSchemaMismatch", "'at'")
    ),
    Kind(
        "wrong-array-element", cmd("out:wrong-element-type"), dlq("OutputSchemaMismatch", "'tags'")
    ),
    Kind("string-for-ARRAY", cmd("out:string-for-array"), dlq("OutputSchemaMismatch", "'tags'")),
    Kind(
        "nan-and-extreme-ints",
        cmd("out:nan-and-extremes"),
        ok(check=lambda rows, b: math.isnan(rows[0]["amount"]) and rows[0]["user_id"] == -(2**63)),
    ),
    Kind("negative-infinity", cmd("out:infinity"), ok(check=first("amount", -math.inf))),
    Kind("zoned-timestamp", cmd("out:zoned-timestamp"), ok(check=first("at", micros(PARIS_TIME)))),
    Kind(
        "reused-output-dict",
        cmd("out:reused-dict"),
        ok(check=lambda rows, b: rows[0]["n"] == b["offset"]),
        copies=9,
    ),
    Kind(
        "200k-character-string",
        cmd("out:big-string"),
        ok(check=lambda rows, b: len(rows[0]["kind"]) == 200_000),
    ),
    Kind("fan-out-of-2000-rows", cmd("fanout:2000"), ok(rows=2000)),
    Kind("fan-out-of-0-rows", cmd("fanout:0"), FILTERED),
]


# --- one run of the job over the whole catalogue ---------------------------------------------


@dataclass
class Produced:
    label: str  # a kind's name, "good" or "tail"
    message: Message


@dataclass
class Run:
    produced: dict[Coordinates, Produced]
    summary: dict
    backup: dict[Coordinates, list[dict]] = field(default_factory=dict)
    dlq: dict[Coordinates, list[dict]] = field(default_factory=dict)
    output: dict[Coordinates, list[dict]] = field(default_factory=dict)
    ledger: list[dict] = field(default_factory=list)
    dlq_topic: list[Record] = field(default_factory=list)

    def of(self, label: str) -> list[Coordinates]:
        return [c for c, p in self.produced.items() if p.label == label]


def messages() -> list[Produced]:
    """Each copy of each kind after a good record, copies spread over the partitions; then
    ``TAIL`` good records per partition."""
    out: list[Produced] = []
    for i, kind in enumerate(CATALOGUE):
        for copy in range(kind.copies):
            partition = (i + copy) % PARTITIONS
            out.append(Produced("good", good_message(len(out), partition)))
            out.append(Produced(kind.name, kind_message(kind.send, len(out), partition)))
    for n in range(TAIL * PARTITIONS):
        out.append(Produced("tail", good_message(len(out), n % PARTITIONS)))
    return out


def good_message(seq: int, partition: int) -> Message:
    return Message(f"k{seq}".encode(), event(f"good-{seq}"), (), partition, START_MS + seq * 10_000)


def kind_message(send: Send, seq: int, partition: int) -> Message:
    when = send.timestamp_ms if send.timestamp_ms is not None else START_MS + seq * 10_000
    return Message(send.key, send.value, send.headers, partition, when)


@pytest.fixture(scope="module")
def run(kafka_utils, spark, tmp_path_factory) -> Run:
    topic, dlq_topic = new_name("bad-input"), new_name("bad-input-dlq")
    # Kafka 4 refuses timestamps over an hour ahead by default; older clusters took any.
    far_future = {"message.timestamp.after.max.ms": str(2**63 - 1)}
    kafka_utils.create_topics([topic], PARTITIONS, config=far_future)
    kafka_utils.create_topics([dlq_topic], 1)
    try:
        to_send = messages()
        placed = kafka_utils.send_messages(topic, [p.message for p in to_send], timeout=120)
        produced = dict(zip(placed, to_send, strict=True))
        paths = JobPaths(tmp_path_factory.mktemp("bad-input"))
        summary = run_job(paths, kafka_utils.broker, topic, dlq_topic)
        run = read_tables(spark, paths, Run(produced, summary))
        run.dlq_topic = kafka_utils.read_records(dlq_topic)
        return run
    finally:
        try:
            kafka_utils.delete_topics([topic, dlq_topic])
        except AssertionError as e:  # cleanup only: a slow deletion must not fail the module
            warnings.warn(f"topics not deleted: {e}", stacklevel=1)


def run_job(paths: JobPaths, broker: str, topic: str, dlq_topic: str) -> dict:
    args = [
        *paths.args(broker, topic, PROCESSOR),
        "--dlq-topic",
        dlq_topic,
        "--trigger",
        "available-now",
        "--max-offsets-per-trigger",
        str(MAX_OFFSETS_PER_TRIGGER),
        "--max-record-bytes",
        str(MAX_RECORD_BYTES),
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exit_code = run_in_process(args)
    assert exit_code == 0, printed.getvalue()[-3000:]
    return summary_from(printed.getvalue())


def read_tables(spark, paths: JobPaths, run: Run) -> Run:
    """Timestamps as integers: a Python datetime cannot hold year 10000."""
    coordinates = ["partition", "offset", "key", "value", "headers", "date", "hour", "batch_id"]
    ms = F.unix_millis("timestamp").alias("timestamp_ms")
    backup = table(spark, paths.backup).select(*coordinates, ms)
    errors = ["error_type", "error_message", "error_stack", "processor", "failed_at"]
    dlq = table(spark, paths.dlq).select(*coordinates, ms, *errors)
    output = table(spark, paths.output).withColumn("at", F.unix_micros("at"))
    run.backup = grouped(backup.collect(), "partition", "offset")
    run.dlq = grouped(dlq.collect(), "partition", "offset")
    run.output = grouped(output.collect(), "source_partition", "source_offset")
    if Path(paths.ledger).exists():
        run.ledger = [r.asDict() for r in table(spark, paths.ledger).collect()]
    return run


def grouped(rows: list, partition: str, offset: str) -> dict[Coordinates, list[dict]]:
    found: dict[Coordinates, list[dict]] = collections.defaultdict(list)
    for row in rows:
        found[(row[partition], row[offset])].append(row.asDict())
    for group in found.values():
        group.sort(key=lambda r: r.get("source_index", 0))
    return dict(found)


def headers_of(row: dict) -> tuple[tuple[str, bytes], ...]:
    return tuple((h["key"], bytes(h["value"])) for h in row["headers"] or ())


def as_bytes(data: bytearray | None) -> bytes | None:
    return None if data is None else bytes(data)


def original(row: dict) -> tuple:
    return as_bytes(row["key"]), as_bytes(row["value"]), headers_of(row)


def sent(message: Message) -> tuple:
    return message.key, message.value, tuple(message.headers)


# --- the stream as a whole ---------------------------------------------------------------------


def test_the_catalogue_has_at_least_30_kinds_with_unique_names():
    names = [k.name for k in CATALOGUE]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


def test_the_job_reads_every_record_in_several_batches(run):
    assert run.summary["read"] == len(run.produced)
    assert run.summary["batches"] >= 2
    assert len({r["batch_id"] for rows in run.dlq.values() for r in rows}) >= 2


def test_every_record_is_backed_up_once_untouched_in_its_hour(run):
    assert set(run.backup) == set(run.produced)
    for coordinates, rows in run.backup.items():
        assert len(rows) == 1, coordinates
        (row,) = rows
        message = run.produced[coordinates].message
        assert original(row) == sent(message), coordinates
        assert row["timestamp_ms"] == message.timestamp_ms
        if message.timestamp_ms < YEAR_10000_MS:
            when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                milliseconds=message.timestamp_ms
            )
            assert (row["date"], row["hour"]) == partition_values(when), coordinates


def test_every_record_lands_once_in_output_dlq_or_filtered(run):
    assert set(run.output) | set(run.dlq) <= set(run.produced)
    assert not set(run.output) & set(run.dlq)
    for coordinates, rows in run.dlq.items():
        assert len(rows) == 1, coordinates
    for coordinates, rows in run.output.items():
        assert [r["source_index"] for r in rows] == list(range(len(rows))), coordinates
    filtered = set(run.produced) - set(run.output) - set(run.dlq)
    expected_filtered = {
        c for k in CATALOGUE if k.expect.status == "filtered" for c in run.of(k.name)
    }
    assert filtered == expected_filtered
    assert run.summary["filtered"] == len(filtered)
    assert run.summary["dlq"] == len(run.dlq)


def test_the_ledger_accounts_for_every_record(run):
    assert run.ledger, "no ledger rows"
    assert sum(r["read"] for r in run.ledger) == len(run.produced)
    assert sum(r["dlq"] for r in run.ledger) == len(run.dlq)
    assert sum(r["filtered"] for r in run.ledger) == run.summary["filtered"]


def test_the_dlq_topic_carries_each_failed_record_with_its_bytes_and_error_type(run):
    found = {}
    for record in run.dlq_topic:
        facts = {k: v for k, v in record.headers if k.startswith("dlq.")}
        coordinates = (int(facts["dlq.partition"]), int(facts["dlq.offset"]))
        found[coordinates] = facts["dlq.error_type"].decode()
        original_headers = tuple((k, v) for k, v in record.headers if not k.startswith("dlq."))
        message = run.produced[coordinates].message
        assert (record.key, record.value, original_headers) == sent(message), coordinates
    assert found == {c: rows[0]["error_type"] for c, rows in run.dlq.items()}


@pytest.mark.parametrize("label", ["good", "tail"])
def test_good_records_between_and_after_the_bad_ones_are_processed(run, label):
    coordinates = run.of(label)
    assert coordinates
    for c in coordinates:
        (row,) = run.output.get(c, [None])
        message = run.produced[c].message
        assert row is not None, f"good record {c} has no output"
        assert row["event_id"] == json.loads(message.value)["event_id"]
        assert row["at"] == message.timestamp_ms * 1000


# --- one test per kind ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CATALOGUE, ids=[k.name for k in CATALOGUE])
def test_each_kind_has_its_outcome(run, kind):
    coordinates = run.of(kind.name)
    assert len(coordinates) == kind.copies
    assert len({p for p, _ in coordinates}) == min(kind.copies, PARTITIONS)
    for c in coordinates:
        check_outcome(run, c, kind.expect)


def check_outcome(run: Run, coordinates: Coordinates, expect: Expect) -> None:
    (backup,) = run.backup[coordinates]
    output, failed = run.output.get(coordinates, []), run.dlq.get(coordinates, [])
    if expect.status == "error":
        assert not output, f"{coordinates} has output {output[:1]}"
        assert len(failed) == 1, f"{coordinates} has {len(failed)} DLQ rows, output {output[:1]}"
        check_dlq_row(failed[0], backup, run.produced[coordinates].message, expect)
        outcome = failed
    else:
        assert not failed, f"{coordinates} went to the DLQ: {failed[0]['error_message']}"
        assert len(output) == expect.rows, coordinates
        outcome = output
    if expect.check:
        assert expect.check(outcome, backup), f"{coordinates}: {shown(outcome)}"


def check_dlq_row(row: dict, backup: dict, message: Message, expect: Expect) -> None:
    assert row["error_type"] == expect.error_type, row["error_message"]
    assert expect.in_message in row["error_message"]
    assert row["error_stack"] and row["failed_at"]
    assert row["processor"] == PROCESSOR
    assert original(row) == sent(message)
    for column in ("date", "hour", "batch_id", "timestamp_ms"):
        assert row[column] == backup[column], column


def shown(rows: list[dict]) -> list[dict]:
    return [
        {k: (v[:80] if isinstance(v, str | bytes) else v) for k, v in r.items()} for r in rows[:2]
    ]
