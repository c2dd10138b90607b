"""--errors-tolerance against the real broker and tables: a batch past the limit stops the job
(exit 1) before its output and DLQ are written; after the fix, the rerun writes it once."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from jobs.core import exit_codes
from kafka_utils import Message
from tests.integration.job_runs import (
    JobPaths,
    checkpoint_batches,
    run_in_process,
    start_subprocess,
    table,
    uncommitted_batches,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def run_job(args: list[str], log) -> int:
    job = start_subprocess([*args, "--trigger", "available-now"], log)
    return job.wait(timeout=900)


def offsets(spark, path: str, prefix: str = "") -> list[tuple[int, int]]:
    """The source records of a table's rows (``source_`` columns in the output table)."""
    if not Path(path, "_delta_log").is_dir():
        return []
    rows = table(spark, path).select(f"{prefix}partition", f"{prefix}offset").collect()
    return [(r[0], r[1]) for r in rows]


def test_a_batch_past_the_tolerance_stops_the_job_and_the_rerun_writes_it_once(
    kafka_utils, spark, topic, tmp_path
):
    name = topic(partitions=3)
    values = ["raise:KeyError" if i % 3 == 0 else "ok" for i in range(60)]
    values[1] = "raise:ValueError"
    kafka_utils.send_messages(name, [Message(b"k", v, (), i % 3) for i, v in enumerate(values)])
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "stream_processors:by_value")
    tripped = tmp_path / "tripped.log"

    assert run_job([*args, "--errors-tolerance", "10%"], tripped) == exit_codes.FAILED
    text = tripped.read_text()
    errors = [line for line in text.splitlines() if " ERROR jobs." in line]
    assert len(errors) == 1, text[-3000:]
    assert "--errors-tolerance 10%: batch 0 sent 21 of 60 records to the DLQ" in errors[0]
    assert "(20 KeyError, 1 ValueError)" in errors[0] and "raised on purpose" in errors[0]
    assert "Traceback" not in text and "\tat " not in text
    warn = [line for line in text.splitlines() if '"event": "dlq"' in line]
    assert len(warn) == 1 and " WARNING " in warn[0]
    assert '"error_types": {"KeyError": 20, "ValueError": 1}' in warn[0]
    assert len(offsets(spark, paths.backup)) == 60, "the backup is written first"
    assert offsets(spark, paths.output) == [] and offsets(spark, paths.dlq) == []
    assert uncommitted_batches(paths.checkpoint) == [0]

    rerun = [*args, "--errors-tolerance", "all", "--trigger", "available-now"]
    assert run_in_process(rerun) == exit_codes.FINISHED  # in this process: its Spark is warm
    assert checkpoint_batches(paths.checkpoint) == {0}, "the same batch, processed again"
    backup, dlq = offsets(spark, paths.backup), offsets(spark, paths.dlq)
    output = offsets(spark, paths.output, "source_")
    for rows in (backup, output + dlq):
        assert not [k for k, n in collections.Counter(rows).items() if n > 1]
    assert len(backup) == 60 and len(output) == 39 and len(dlq) == 21
    assert set(output) | set(dlq) == set(backup)
