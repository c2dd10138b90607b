"""While idle, the job logs the last batch and the lag per partition every --heartbeat."""

from __future__ import annotations

import json
import signal

import pytest

from jobs.core import exit_codes
from kafka_utils import Message, assert_eventually
from tests.integration.job_runs import JobPaths, batch_ids, start_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a busy machine: whole Spark runs


def idle_lines(log) -> list[dict]:
    return [
        json.loads(line[line.index("{") :])
        for line in log.read_text().splitlines()
        if '"event":"idle"' in line
    ]


def test_an_idle_job_logs_its_last_batch_and_the_lag_per_partition(kafka_utils, topic, tmp_path):
    name = topic(partitions=2)
    kafka_utils.send_messages(name, [Message(b"k", b"v", (), i % 2) for i in range(10)])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "jobs.processors.builtin:passthrough")
    log = tmp_path / "job.log"
    job = start_subprocess([*args, "--trigger", "processing-time=1h", "--heartbeat", "1s"], log)
    assert_eventually(lambda: batch_ids(log.read_text()), [0], timeout=900, interval=0.1)

    def lag() -> dict | None:
        lines = idle_lines(log)
        return lines[-1].get("lag") if lines else None

    assert_eventually(lag, {f"{name}/0": 0, f"{name}/1": 0}, timeout=60, interval=0.2)
    kafka_utils.send_messages(name, [Message(b"k", b"v", (), 1) for _ in range(7)])
    assert_eventually(lag, {f"{name}/0": 0, f"{name}/1": 7}, timeout=60, interval=0.2)

    last = idle_lines(log)[-1]
    assert last["last_batch"] == 0 and last["lag_total"] == 7 and last["idle_seconds"] >= 1
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=600) == exit_codes.STOPPED, log.read_text()[-3000:]
