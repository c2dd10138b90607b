"""Records that kill or hang the Python worker do not stop the stream: a hang is cut by the
per-record time limit (``Timeout``); a worker death is narrowed down by bisection to the
guilty records (``WorkerCrash``); the rest of their batch is processed as usual."""

from __future__ import annotations

import pytest

from kafka_utils import Message
from tests.integration.job_runs import JobPaths, run_in_process, table

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


POISON = {7: b"die", 33: b"hang", 60: b"die"}


def test_records_that_kill_or_hang_the_worker_go_to_the_dlq_and_the_stream_goes_on(
    kafka_utils, spark, topic, tmp_path
):
    name = topic(partitions=2)
    values = [POISON.get(i, f"fine-{i}".encode()) for i in range(80)]
    placed = kafka_utils.send_messages(
        name, [Message(b"k", v, (), i % 2) for i, v in enumerate(values)]
    )
    expected = {
        c: {b"die": "WorkerCrash", b"hang": "Timeout"}[v]
        for c, v in zip(placed, values, strict=True)
        if v in POISON.values()
    }
    paths = JobPaths(tmp_path)
    args = [
        *paths.args(kafka_utils.broker, name, "poison_processors:deadly"),
        "--trigger",
        "available-now",
        "--max-offsets-per-trigger",
        "50",
        "--record-timeout",
        "2s",
    ]

    assert run_in_process(args) == 0

    dlq = table(spark, paths.dlq).collect()
    assert {(r["partition"], r["offset"]): r["error_type"] for r in dlq} == expected
    assert all(r["value"] in (b"die", b"hang") for r in dlq)
    output = table(spark, paths.output).collect()
    assert sorted(r["text"] for r in output) == sorted(
        v.decode() for v in values if v not in POISON.values()
    )
    assert table(spark, paths.backup).count() == 80
