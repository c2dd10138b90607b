"""The concurrent micro-batch (backup ∥ (process → output ∥ DLQ), ledger last) on real Delta
tables: a failing step stops the whole batch before its ledger, once every other step ended."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from delta.tables import DeltaTable
from pyspark.sql import DataFrame

from jobs.io.delta_commits import OnceAppends
from jobs.io.table_writes import OnceWrites
from jobs.pipeline.steps import Steps, settle
from tests.unit.conftest import PER_BATCH
from tests.unit.test_once_writes import APP, pipeline


class Boom(Exception):
    pass


class FailingOutput:
    """The output fails at once; the backup waits until it has, then commits."""

    def __init__(self, writes: OnceWrites) -> None:
        self.writes, self.run_id = writes, writes.run_id
        self.output_failed = threading.Event()

    def backup(self, rows: DataFrame, path: str) -> None:
        assert self.output_failed.wait(300), "the output step never ran beside the backup"
        self.writes.backup(rows, path)

    def output(self, rows: DataFrame, path: str) -> None:
        self.output_failed.set()
        raise Boom("the output table refused the batch")

    def __getattr__(self, table: str):
        return getattr(self.writes, table)


def test_a_failing_step_fails_the_batch_after_the_others_end_and_before_the_ledger(
    spark, batches, tmp_path
):
    appends = OnceAppends(APP)
    batch = pipeline(spark, tmp_path, lambda batch_id: FailingOutput(OnceWrites(appends, batch_id)))
    with pytest.raises(Boom):
        batch.process(batches(0), 0)
    backup = spark.read.format("delta").load(str(tmp_path / "backup"))
    assert backup.count() == PER_BATCH, "the batch failed before its backup step ended"
    assert not DeltaTable.isDeltaTable(spark, str(tmp_path / "ledger"))


def test_steps_are_timed_apart_and_the_wait_is_booked_as_waiting():
    steps = Steps()
    release = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(steps.run, "backup", release.wait, 60)
        steps.run("process", release.set)
        steps.settle([other])
    assert set(steps.seconds) == {"backup", "process", "waiting"}


def test_settle_raises_the_first_failure_once_all_have_ended():
    ended = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        failing = pool.submit(lambda: (_ for _ in ()).throw(Boom("first")))
        slow = pool.submit(lambda: failing.exception() and ended.set())
        with pytest.raises(Boom, match="first"):
            settle([failing, slow])
        assert ended.is_set()
