"""The streaming job against the real embedded broker and real Delta tables."""

from __future__ import annotations

import collections
import json
from datetime import UTC, datetime

import pytest

from jobs.core.partitioning import partition_values
from jobs.demo.sample_data import sample_records
from kafka_utils import Message
from kafka_utils.timing import scaled
from tests.integration.job_runs import (
    JobPaths,
    run_in_process,
    start_subprocess,
    summary_from,
    table,
)

JSON_EVENTS = "jobs.processors.builtin:json_events"
START = datetime(2026, 11, 22, 9, tzinfo=UTC)


def produce_sample(kafka_utils, topic: str, count: int, seed: int = 7):
    records = sample_records(count, start=START, seed=seed, num_partitions=3)
    placed = kafka_utils.send_messages(
        topic, [Message(r.key, r.value, (), r.partition, r.timestamp_ms) for r in records]
    )
    return dict(zip(placed, records, strict=True))


def coordinates(df) -> list[tuple[int, int]]:
    return [(r["partition"], r["offset"]) for r in df.select("partition", "offset").collect()]


def assert_exactly_once(rows: list[tuple], expected: set[tuple]) -> None:
    doubled = [k for k, n in collections.Counter(rows).items() if n > 1]
    assert not doubled, f"doubled: {doubled[:10]}"
    assert set(rows) == expected, f"missing {sorted(expected - set(rows))[:10]}"


@pytest.mark.slow
def test_every_record_lands_once_in_backup_and_once_in_output_or_dlq(
    kafka_utils, spark, topic, tmp_path
):
    name = topic(partitions=3)
    produced = produce_sample(kafka_utils, name, 600)
    paths = JobPaths(tmp_path)

    assert (
        run_in_process(
            [*paths.args(kafka_utils.broker, name, JSON_EVENTS), "--trigger", "available-now"]
        )
        == 0
    )

    backup = table(spark, paths.backup)
    assert_exactly_once(coordinates(backup), set(produced))
    for row in backup.select("partition", "offset", "timestamp", "date", "hour").collect():
        assert (row["date"], row["hour"]) == partition_values(row["timestamp"])
    assert {(r["date"], r["hour"]) for r in backup.select("date", "hour").distinct().collect()} == {
        ("2026-11-22", "09"),
        ("2026-11-22", "10"),
        ("2026-11-22", "11"),
    }

    good = {c for c, r in produced.items() if r.expected_error is None}
    output = table(spark, paths.output).collect()
    assert_exactly_once([(r["source_partition"], r["source_offset"]) for r in output], good)

    dlq = table(spark, paths.dlq).collect()
    assert {(r["partition"], r["offset"]): r["error_type"] for r in dlq} == {
        c: r.expected_error for c, r in produced.items() if r.expected_error
    }
    for row in dlq:
        assert row["value"] == produced[(row["partition"], row["offset"])].value
        assert row["processor"] == JSON_EVENTS and row["error_message"] and row["failed_at"]


@pytest.mark.slow
def test_bad_records_of_every_kind_go_to_the_dlq_and_the_stream_goes_on(
    kafka_utils, spark, topic, tmp_path
):
    name = topic()
    cases = {
        "ok": None,
        "filter": None,
        "fanout:3": None,
        "raise:ValueError": "ValueError",
        "raise:KeyError": "KeyError",
        "raise:ZeroDivisionError": "ZeroDivisionError",
        "raise:MemoryError": "MemoryError",
        "unprintable": "Unprintable",
        "wrong-type": "OutputSchemaMismatch",
        "missing-field": "OutputSchemaMismatch",
        "not-a-dict": "OutputSchemaMismatch",
        "x" * 400: "RecordTooLarge",
        "\udcff": "UnicodeDecodeError",
    }
    values = [c.encode("utf-8", "surrogateescape") for c in cases] + [None, b"ok"]
    kafka_utils.send_messages(name, [("k", v) for v in values])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "stream_processors:by_value")
    assert run_in_process([*args, "--trigger", "once", "--max-record-bytes", "300"]) == 0

    dlq = {r["offset"]: r for r in table(spark, paths.dlq).collect()}
    expected = {i: t for i, t in enumerate([*cases.values(), "NullValue", None]) if t}
    assert {o: r["error_type"] for o, r in dlq.items()} == expected
    assert "could not be printed" in dlq[7]["error_message"]
    assert "ZeroDivisionError" in dlq[5]["error_stack"]
    output = table(spark, paths.output).orderBy("source_offset", "source_index").collect()
    assert [(r["source_offset"], r["text"], r["n"]) for r in output] == [
        (0, "ok", 1),
        (2, "fan", 0),
        (2, "fan", 1),
        (2, "fan", 2),
        (14, "ok", 1),
    ]


@pytest.mark.slow
def test_restart_on_the_checkpoint_with_more_data_loses_and_doubles_nothing(
    kafka_utils, spark, topic, tmp_path
):
    name = topic(partitions=3)
    first = produce_sample(kafka_utils, name, 300, seed=1)
    paths = JobPaths(tmp_path)
    args = [*paths.args(kafka_utils.broker, name, JSON_EVENTS), "--trigger", "available-now"]
    assert run_in_process(args) == 0
    second = produce_sample(kafka_utils, name, 300, seed=2)
    assert run_in_process(args) == 0

    everything = first | second
    assert_exactly_once(coordinates(table(spark, paths.backup)), set(everything))
    good = {c for c, r in everything.items() if r.expected_error is None}
    output = table(spark, paths.output).select("source_partition", "source_offset").collect()
    assert_exactly_once([tuple(r) for r in output], good)
    bad = {c for c, r in everything.items() if r.expected_error}
    assert_exactly_once(coordinates(table(spark, paths.dlq)), bad)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after-backup", "after-dlq", "before-checkpoint"])
def test_a_batch_killed_after_a_commit_is_replayed_without_duplicates(
    kafka_utils, spark, topic, tmp_path, point
):
    name = topic(partitions=3)
    produced = produce_sample(kafka_utils, name, 200)
    paths = JobPaths(tmp_path)
    args = [*paths.args(kafka_utils.broker, name, JSON_EVENTS), "--trigger", "available-now"]
    log = tmp_path / "crash.log"
    crashed = start_subprocess(args, log, KAFKA_STREAM_FAULT=f"{point}:0")
    assert crashed.wait(timeout=scaled(300)) == 137, log.read_text()[-3000:]
    assert_exactly_once(coordinates(table(spark, paths.backup)), set(produced))

    assert run_in_process(args) == 0
    assert_exactly_once(coordinates(table(spark, paths.backup)), set(produced))
    good = {c for c, r in produced.items() if r.expected_error is None}
    output = table(spark, paths.output).select("source_partition", "source_offset").collect()
    assert_exactly_once([tuple(r) for r in output], good)
    bad = {c for c, r in produced.items() if r.expected_error}
    assert_exactly_once(coordinates(table(spark, paths.dlq)), bad)
    assert_ledger_accounts_for(spark, paths, produced)


def assert_ledger_accounts_for(spark, paths: JobPaths, produced: dict) -> None:
    """One ledger row per batch, partition and hour; together they cover every offset once
    (the sample's timestamps grow with the offset, so hours do not interleave)."""
    ledger = table(spark, paths.ledger).collect()
    keys = [(r["batch_id"], r["partition"], r["date"], r["hour"]) for r in ledger]
    assert len(keys) == len(set(keys)), "a batch was recorded twice"
    covered = [
        (r["partition"], o) for r in ledger for o in range(r["first_offset"], r["last_offset"] + 1)
    ]
    assert_exactly_once(covered, set(produced))
    assert sum(r["read"] for r in ledger) == len(produced)
    assert sum(r["dlq"] for r in ledger) == sum(1 for r in produced.values() if r.expected_error)


@pytest.mark.slow
def test_stop_at_offsets_stops_cleanly_once_reached(kafka_utils, spark, topic, tmp_path, caplog):
    name = topic(partitions=3)
    kafka_utils.send_messages(name, [Message(b"k", b"ok", (), p % 3) for p in range(300)])
    paths = JobPaths(tmp_path)
    args = [
        *paths.args(kafka_utils.broker, name, "stream_processors:by_value"),
        "--trigger",
        "processing-time=0s",
        "--max-offsets-per-trigger",
        "30",
        "--stop-at-offsets",
        f'{{"{name}": {{"0": 20, "1": 20, "2": 20}}}}',
    ]
    assert run_in_process(args) == 0
    done = collections.defaultdict(int)
    for partition, offset in coordinates(table(spark, paths.backup)):
        done[partition] = max(done[partition], offset + 1)
    assert all(done[p] >= 20 for p in range(3)), done
    assert sum(done.values()) < 300
    assert "stopping (--stop-at-offsets reached)" in caplog.text


@pytest.mark.slow
def test_dev_mode_writes_to_a_temporary_place_and_commits_nothing(kafka_utils, topic, capsys):
    name = topic()
    kafka_utils.send_messages(name, [("k", "ok")] * 5)
    args = [
        "--bootstrap-servers",
        kafka_utils.broker,
        "--topics",
        name,
        "--processor",
        "stream_processors:by_value",
        "--dev",
        "--trigger",
        "available-now",
    ]
    assert run_in_process(args) == 0
    first = capsys.readouterr()
    assert run_in_process(args) == 0
    second = capsys.readouterr()
    assert summary_from(first.out)["read"] == 5
    assert summary_from(second.out)["read"] == 5
    assert "kafka-stream-dev-" in first.out


def test_commit_group_makes_lag_visible_to_plain_kafka_tools(kafka_utils, topic, tmp_path):
    name = topic(partitions=3)
    kafka_utils.send_messages(name, [Message(b"k", b"ok", (), p % 3) for p in range(60)])
    paths = JobPaths(tmp_path)
    args = [
        *paths.args(kafka_utils.broker, name, "stream_processors:by_value"),
        "--trigger",
        "available-now",
        "--commit-group",
        "lag-watch",
    ]
    assert run_in_process(args) == 0
    assert kafka_utils.committed_offsets("lag-watch", name) == {0: 20, 1: 20, 2: 20}
    assert kafka_utils.consumer_lag("lag-watch", name) == {0: 0, 1: 0, 2: 0}


def test_output_and_dlq_topics_carry_the_rows_and_the_error_facts(kafka_utils, topic, tmp_path):
    source, out, dlq = topic(), topic(prefix="out"), topic(prefix="dlq")
    kafka_utils.send_messages(source, [("k1", "ok"), ("k2", "raise:KeyError"), ("k3", "ok")])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, source, "stream_processors:by_value")
    i = args.index("--output-path")
    args = [
        *args[:i],
        *args[i + 2 :],
        "--output-topic",
        out,
        "--dlq-topic",
        dlq,
        "--trigger",
        "available-now",
    ]
    assert run_in_process(args) == 0

    outputs = kafka_utils.read_records(out)
    assert [(r.key, json.loads(r.value)) for r in outputs] == [
        (b"k1", {"text": "ok", "n": 1}),
        (b"k3", {"text": "ok", "n": 1}),
    ]
    (failed,) = kafka_utils.read_records(dlq)
    headers = dict(failed.headers)
    assert (failed.key, failed.value) == (b"k2", b"raise:KeyError")
    assert headers["dlq.error_type"] == b"KeyError"
    assert headers["dlq.offset"] == b"1" and headers["dlq.topic"] == source.encode()
    assert headers["dlq.processor"] == b"stream_processors:by_value"


def test_dlq_topic_headers_in_kafka_connects_names_for_connect_tooling(
    kafka_utils, topic, tmp_path
):
    source, dlq = topic(), topic(prefix="dlq")
    kafka_utils.send_messages(source, [("k1", "ok"), ("k2", "raise:KeyError", [("trace", b"7")])])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, source, "stream_processors:by_value")
    args += ["--dlq-topic", dlq, "--dlq-topic-headers", "connect", "--trigger", "available-now"]
    assert run_in_process(args) == 0

    (failed,) = kafka_utils.read_records(dlq)
    headers = dict(failed.headers)
    prefix = "__connect.errors."
    assert headers.pop("trace") == b"7", "the record's own headers come first, kept"
    assert {k: v.decode() for k, v in headers.items() if k != f"{prefix}exception.stacktrace"} == {
        f"{prefix}topic": source,
        f"{prefix}partition": "0",
        f"{prefix}offset": "1",
        f"{prefix}connector.name": "test",
        f"{prefix}task.id": "0",
        f"{prefix}stage": "TRANSFORMATION",
        f"{prefix}class.name": "stream_processors:by_value",
        f"{prefix}exception.class.name": "KeyError",
        f"{prefix}exception.message": "'raised on purpose'",
    }
    stack = headers[f"{prefix}exception.stacktrace"].decode()
    assert "Traceback" in stack and "KeyError" in stack
