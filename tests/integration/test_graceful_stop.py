"""SIGTERM/SIGINT let the running batch finish, then stop with exit code 0."""

from __future__ import annotations

import collections
import signal

import pytest

from kafka_utils import Message, assert_eventually
from kafka_utils.timing import scaled
from tests.integration.job_runs import (
    JobPaths,
    replaced,
    run_in_process,
    start_subprocess,
    table,
)

pytestmark = pytest.mark.slow


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
    assert_eventually(marker.exists, True, timeout=180, interval=0.1)

    job.send_signal(signum)
    stopping = f"stopping ({signum.name}) after the running batch"
    assert_eventually(lambda: stopping in log.read_text(), True, timeout=30, interval=0.1)
    job.send_signal(signum)
    assert job.wait(timeout=scaled(120)) == 0, log.read_text()[-3000:]

    text = log.read_text()
    assert f"{signum.name} again: already stopping" in text
    backed_up = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert len(backed_up) < 120
    assert not [c for c, n in collections.Counter(backed_up).items() if n > 1]

    rest = replaced(args, "--processor", "jobs.processors.builtin:passthrough")
    assert run_in_process([*rest[:-4], "--trigger", "available-now"]) == 0
    everything = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(everything) == sorted((p, o) for p in range(3) for o in range(40))
