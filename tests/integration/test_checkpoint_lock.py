"""One job per checkpoint, with real jobs: a second one is refused naming the holder; a holder
killed with kill -9 does not block its restart; the marker file is written whole or not at all."""

from __future__ import annotations

import collections
import logging
import os
import signal
import socket

import pytest

from jobs.core import exit_codes
from jobs.core.lease import LEASE_FILE, Lease
from jobs.io.checkpoint import MARKER
from jobs.io.lease_files import HadoopLeaseFile
from kafka_utils import Message, assert_eventually
from tests.integration.job_runs import (
    JobPaths,
    batch_ids,
    run_in_process,
    start_subprocess,
    table,
    uncommitted_batches,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a busy machine: whole Spark runs


def holding(log) -> bool:
    return log.exists() and "holding the checkpoint lease" in log.read_text()


def test_a_second_job_on_a_held_checkpoint_fails_at_once_naming_the_holder(
    kafka_utils, topic, tmp_path
):
    name = topic(partitions=3)
    kafka_utils.send_messages(name, [Message(b"k", f"v{i}", (), i % 3) for i in range(30)])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "jobs.processors.builtin:passthrough")
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_subprocess([*args, "--trigger", "processing-time=1s"], first_log)
    assert_eventually(lambda: holding(first_log), True, timeout=300, interval=0.1)

    second = start_subprocess([*args, "--trigger", "available-now"], second_log)

    assert second.wait(timeout=120) == exit_codes.BAD_SETTINGS, second_log.read_text()[-3000:]
    text = second_log.read_text()
    lease = Lease.from_text((tmp_path / "checkpoint" / LEASE_FILE).read_text())
    assert (
        f"--checkpoint: {paths.checkpoint} is in use by job 'test' on host "
        f"{socket.gethostname()}, pid {first.pid}, since {lease.since}"
    ) in text
    assert "Traceback" not in text and "WARNING: Using incubator" not in text, "before Spark"

    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=600) == exit_codes.STOPPED, first_log.read_text()[-3000:]
    assert not (tmp_path / "checkpoint" / LEASE_FILE).exists(), "released on a clean exit"


def test_a_holder_killed_with_kill_9_does_not_block_its_restart(
    kafka_utils, spark, topic, tmp_path, caplog
):
    name = topic(partitions=3)
    kafka_utils.send_messages(name, [Message(b"k", f"v{i}", (), i % 3) for i in range(60)])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "jobs.processors.builtin:passthrough")
    log = tmp_path / "killed.log"
    killed = start_subprocess(
        [*args, "--trigger", "processing-time=0s", "--max-offsets-per-trigger", "15"], log
    )
    assert_eventually(lambda: batch_ids(log.read_text()) != [], True, timeout=900, interval=0.1)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert (tmp_path / "checkpoint" / LEASE_FILE).exists()

    with caplog.at_level(logging.INFO, logger="jobs"):  # the restart in this process: warm Spark
        assert run_in_process([*args, "--trigger", "available-now"]) == exit_codes.FINISHED
    assert f"pid {killed.pid}" in caplog.text.split("taking over the checkpoint")[1]
    backed_up = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert not [c for c, n in collections.Counter(backed_up).items() if n > 1]
    assert sorted(backed_up) == sorted((p, o) for p in range(3) for o in range(20))
    assert uncommitted_batches(paths.checkpoint) == []


def test_an_unreadable_marker_is_one_line_naming_the_file_and_the_fix(
    kafka_utils, topic, tmp_path, caplog
):
    name = topic()
    kafka_utils.send_messages(name, [(b"k", b"v")])
    paths = JobPaths(tmp_path)
    args = [*paths.args(kafka_utils.broker, name, "stream_processors:by_value")]
    args += ["--trigger", "available-now"]
    assert run_in_process(args) == exit_codes.FINISHED
    marker = tmp_path / "checkpoint" / MARKER
    assert [n for n in os.listdir(marker.parent) if n.endswith(".tmp")] == []
    marker.write_text("")

    with caplog.at_level(logging.ERROR, logger="jobs"):
        assert run_in_process(args) == exit_codes.BAD_SETTINGS
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name.startswith("jobs")]
    (line,) = [r.getMessage() for r in errors]
    assert line.startswith(f"--checkpoint: {marker} is unreadable (")
    assert "delete that file" in line and "\n" not in line
    marker.unlink()
    assert run_in_process(args) == exit_codes.FINISHED
    assert marker.read_text().startswith('{"name": "test"')


def test_the_lease_through_hadoop_filesystems(spark, tmp_path):
    """What a checkpoint on HDFS or an object store uses, here on Hadoop's local filesystem."""
    file = HadoopLeaseFile(spark, f"file://{tmp_path}", LEASE_FILE)
    assert file.create("first") and not file.create("second")
    text, renewed_at = file.read()
    assert text == "first"
    os.utime(tmp_path / LEASE_FILE, (renewed_at - 60, renewed_at - 60))
    file.renew()
    assert file.read()[1] > renewed_at - 30
    assert not file.take_over("not what is there", "third") and file.read()[0] == "first"
    assert file.take_over("first", "fourth") and file.read()[0] == "fourth"
    file.delete()
    assert file.read() is None
