"""SIGTERM/SIGINT at any point: the batch in flight finishes and is committed, the job exits
with code 3, and the next run repeats nothing (no batch id twice, no record twice in a topic)."""

from __future__ import annotations

import collections
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from jobs.core import exit_codes
from jobs.runs.graceful_stop import GracefulStop
from kafka_utils import Message, assert_eventually
from kafka_utils.timing import scaled
from tests.integration.job_runs import (
    JobPaths,
    batch_ids,
    checkpoint_batches,
    handles_sigterm,
    replaced,
    run_in_process,
    start_subprocess,
    table,
    uncommitted_batches,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a busy machine: whole Spark runs
STEPS = ("after-backup", "after-output", "after-dlq", "before-checkpoint")
# Spark's executor heartbeater may read a task's accumulator while the task resets it and log an
# NPE from PartitionKeyedAccumulator.isZero (seen once, in make test-loaded): Spark's own thread,
# not the job's stop, which went on cleanly.
SPARK_HEARTBEAT_RACE = "Uncaught exception in thread executor-heartbeater"


def errors_in(text: str) -> list[str]:
    """The log's ERROR lines, but for Spark's known heartbeater race."""
    return [
        line for line in text.splitlines() if "ERROR" in line and SPARK_HEARTBEAT_RACE not in line
    ]


def topics_args(paths: JobPaths, broker: str, source: str, out: str, dlq: str) -> list[str]:
    """The job with Kafka output and DLQ topics: a batch run twice would show there twice."""
    args = paths.args(broker, source, "stream_processors:by_value")
    i = args.index("--output-path")
    return [*args[:i], *args[i + 2 :], "--output-topic", out, "--dlq-topic", dlq]


def send_keyed(kafka_utils, topic: str, count: int) -> set[bytes]:
    """``count`` records with unique keys over 3 partitions; every 7th goes to the DLQ."""
    messages = [
        Message(f"k{i}".encode(), "raise:KeyError" if i % 7 == 0 else "ok", (), i % 3)
        for i in range(count)
    ]
    kafka_utils.send_messages(topic, messages)
    return {m.key for m in messages}


def assert_each_key_once(kafka_utils, out: str, dlq: str, keys: set[bytes]) -> None:
    seen = [r.key for r in kafka_utils.read_records(out) + kafka_utils.read_records(dlq)]
    doubled = [k for k, n in collections.Counter(seen).items() if n > 1]
    assert not doubled, f"sent twice: {doubled[:10]}"
    assert set(seen) == keys


def assert_restart_repeats_nothing(args: list[str], stopped_log: str, checkpoint: str) -> None:
    """The restart (in this process: its Spark is warm) commits only batches the stopped run did
    not report done."""
    stopped, committed = set(batch_ids(stopped_log)), checkpoint_batches(checkpoint)
    assert run_in_process([*args, "--trigger", "available-now"]) == exit_codes.FINISHED
    again = stopped & (checkpoint_batches(checkpoint) - committed)
    assert not again, f"batches run again after the stop: {sorted(again)}"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_batch_finishes_it_then_stops_cleanly(
    kafka_utils, spark, topic, tmp_path, signum
):
    name = topic(partitions=3)
    kafka_utils.send_messages(name, [Message(b"k", f"v{i}", (), i % 3) for i in range(120)])
    paths = JobPaths(tmp_path)
    args = [
        *paths.args(kafka_utils.broker, name, "stream_processors:slow"),
        "--trigger",
        "processing-time=0s",
        "--max-offsets-per-trigger",
        "30",
    ]
    log = tmp_path / "job.log"
    marker = tmp_path / "a-batch-is-running"
    job = start_subprocess(args, log, SLOW_PROCESSOR_MARKER=str(marker))
    assert_eventually(marker.exists, True, timeout=600, interval=0.1)

    job.send_signal(signum)
    stopping = f"stopping ({signum.name}) after the running batch"
    assert_eventually(lambda: stopping in log.read_text(), True, timeout=30, interval=0.1)
    job.send_signal(signum)
    assert job.wait(timeout=scaled(600)) == exit_codes.STOPPED, log.read_text()[-3000:]

    text = log.read_text()
    assert f"{signum.name} again: already stopping" in text
    assert errors_in(text) == [], text[-3000:]
    assert uncommitted_batches(paths.checkpoint) == []
    assert batch_ids(text), "the batch in flight finished"
    backed_up = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert len(backed_up) < 120
    assert not [c for c, n in collections.Counter(backed_up).items() if n > 1]

    rest = replaced(args, "--processor", "jobs.processors.builtin:passthrough")
    assert_restart_repeats_nothing(rest[:-4], text, paths.checkpoint)
    everything = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(everything) == sorted((p, o) for p in range(3) for o in range(40))


@pytest.mark.parametrize("step", STEPS)
def test_sigterm_at_each_step_of_a_batch_leaves_nothing_to_run_again(
    kafka_utils, spark, topic, tmp_path, step
):
    source, out, dlq = topic(partitions=3), topic(prefix="out"), topic(prefix="dlq")
    keys = send_keyed(kafka_utils, source, 90)
    paths = JobPaths(tmp_path)
    args = topics_args(paths, kafka_utils.broker, source, out, dlq)
    log = tmp_path / "job.log"
    running = [*args, "--trigger", "processing-time=0s", "--max-offsets-per-trigger", "15"]

    job = start_subprocess(running, log, KAFKA_STREAM_FAULT=f"sigterm@{step}:+2")
    assert job.wait(timeout=900) == exit_codes.STOPPED, log.read_text()[-3000:]

    text = log.read_text()
    assert "stopping (SIGTERM) after the running batch" in text
    assert errors_in(text) == [], text[-3000:]
    assert uncommitted_batches(paths.checkpoint) == []
    assert_restart_repeats_nothing(args, text, paths.checkpoint)
    assert_each_key_once(kafka_utils, out, dlq, keys)


@pytest.mark.parametrize("moment", ["handler installed", "settings logged"])
def test_sigterm_during_start_up_stops_cleanly(kafka_utils, spark, topic, tmp_path, moment):
    source, out, dlq = topic(partitions=3), topic(prefix="out"), topic(prefix="dlq")
    keys = send_keyed(kafka_utils, source, 30)
    paths = JobPaths(tmp_path)
    args = topics_args(paths, kafka_utils.broker, source, out, dlq)
    log = tmp_path / "job.log"

    job = start_subprocess([*args, "--trigger", "processing-time=0s"], log)
    if moment == "handler installed":
        assert_eventually(lambda: handles_sigterm(job.pid), True, timeout=30, interval=0.005)
    else:
        assert_eventually(lambda: " settings {" in log.read_text(), True, timeout=60, interval=0.05)
    job.send_signal(signal.SIGTERM)

    assert job.wait(timeout=900) == exit_codes.STOPPED, log.read_text()[-3000:]
    text = log.read_text()
    assert "stopped by SIGTERM" in text and errors_in(text) == [], text[-3000:]
    assert uncommitted_batches(paths.checkpoint) == []
    assert_restart_repeats_nothing(args, text, paths.checkpoint)
    assert_each_key_once(kafka_utils, out, dlq, keys)


def test_sigterm_between_triggers_does_not_wait_for_the_next_one(
    kafka_utils, spark, topic, tmp_path
):
    source, out, dlq = topic(partitions=3), topic(prefix="out"), topic(prefix="dlq")
    keys = send_keyed(kafka_utils, source, 30)
    paths = JobPaths(tmp_path)
    args = topics_args(paths, kafka_utils.broker, source, out, dlq)
    log = tmp_path / "job.log"
    job = start_subprocess([*args, "--trigger", "processing-time=1h"], log)
    assert_eventually(lambda: batch_ids(log.read_text()) == [0], True, timeout=600, interval=0.1)

    job.send_signal(signal.SIGTERM)

    assert job.wait(timeout=600) == exit_codes.STOPPED, log.read_text()[-3000:]
    assert uncommitted_batches(paths.checkpoint) == []
    assert_restart_repeats_nothing(args, log.read_text(), paths.checkpoint)
    assert_each_key_once(kafka_utils, out, dlq, keys)


def sigterm_in_a_slow_batch(
    kafka_utils, source: str, tmp_path, processor: str, records: int, *flags: str
) -> tuple[subprocess.Popen, list[str], Path]:
    """The job on ``records`` records, SIGTERM once a batch of the slow ``processor`` runs."""
    kafka_utils.send_messages(source, [Message(b"k", f"v{i}", (), i % 3) for i in range(records)])
    args = [*JobPaths(tmp_path).args(kafka_utils.broker, source, processor), *flags]
    log, marker = tmp_path / "job.log", tmp_path / "a-batch-is-running"
    job = start_subprocess(args, log, SLOW_PROCESSOR_MARKER=str(marker))
    assert_eventually(marker.exists, True, timeout=600, interval=0.1)
    job.send_signal(signal.SIGTERM)
    return job, args, log


def test_an_available_now_run_stopped_by_a_signal_is_not_reported_finished(
    kafka_utils, spark, topic, tmp_path
):
    paths = JobPaths(tmp_path)
    flags = ("--trigger", "available-now", "--max-offsets-per-trigger", "30")

    job, args, log = sigterm_in_a_slow_batch(
        kafka_utils, topic(partitions=3), tmp_path, "stream_processors:slow", 90, *flags
    )

    assert job.wait(timeout=600) == exit_codes.STOPPED, log.read_text()[-3000:]
    assert uncommitted_batches(paths.checkpoint) == []
    fast = replaced(args, "--processor", "jobs.processors.builtin:passthrough")
    assert run_in_process(fast) == exit_codes.FINISHED
    assert table(spark, paths.backup).count() == 90


def test_a_batch_failing_while_the_job_stops_is_a_failure_not_a_stop(kafka_utils, topic, tmp_path):
    paths = JobPaths(tmp_path)
    processor = "stream_processors:slow_failing"

    job, _, log = sigterm_in_a_slow_batch(
        kafka_utils, topic(partitions=3), tmp_path, processor, 30, "--errors-tolerance", "none"
    )

    assert job.wait(timeout=600) == exit_codes.FAILED, log.read_text()[-3000:]
    text = log.read_text()
    assert "stopping (SIGTERM) after the running batch" in text, text[-3000:]
    assert "--errors-tolerance none: batch 0 sent 30 of 30 records" in text, text[-3000:]
    assert "stopped by SIGTERM" not in text
    assert uncommitted_batches(paths.checkpoint) == [0], "the failed batch runs again"
    assert not (tmp_path / "dlq" / "_delta_log").exists()


@pytest.mark.parametrize("moment", ["while it plans", "in foreachBatch"])
def test_this_spark_still_lets_a_query_finish_its_trigger_without_an_interrupt(
    spark, tmp_path, moment
):
    """The graceful stop relies on Spark's query state and stream thread (not public API): an
    upgrade that changes them fails here, instead of silently falling back to stop(). A stop
    that begins while Spark plans the batch is the case where Spark interrupts itself."""
    entered, ran = threading.Event(), []
    stopping = GracefulStop()

    def slow_batch(rows, batch_id):
        stopping.batch_starting()
        entered.set()
        time.sleep(1)  # a batch still running when the stop begins
        ran.append(rows.count())
        stopping.batch_ended()

    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 50)
        .load()
        .writeStream.foreachBatch(slow_batch)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(processingTime="1 second")
        .start()
    )
    if moment == "while it plans":
        assert_eventually(lambda: query.status["isTriggerActive"], True, timeout=60, interval=0.01)
    else:
        assert entered.wait(120)
    stopping.begin(query)
    assert stopping._thread is not None, "fell back to stop()"
    assert_eventually(lambda: stopping.wait(0.2), True, timeout=120, interval=0.1)
    assert query.exception() is None
    assert uncommitted_batches(str(tmp_path / "checkpoint")) == []
    assert ran
