"""The stream's table writes (``OnceWrites``) through the real pipeline and real Delta tables:
each table holds every batch once across a crash between any two of a batch's table commits,
with a replay's MERGE and an OPTIMIZE landing between the crash and the restart.

A "run" is one ``OnceAppends`` (what one start of the streaming query holds); a crash is a
batch that stops after some of its table commits, the restart a new run of the same app id
that processes the same batch again, as Spark does after a kill."""

from __future__ import annotations

import collections
import json

import pytest
from delta.tables import DeltaTable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.core.columns import RECORD_KEY
from jobs.core.processor import load_processor
from jobs.io.checkpoint import last_planned_ms
from jobs.io.delta_commits import OnceAppends
from jobs.io.output_schema import resolve_output_schema
from jobs.io.table_writes import OnceWrites, insert_missing
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.micro_batch import Destinations, MicroBatchPipeline
from tests.unit.conftest import PER_BATCH

APP = "orders-7f3e"
PROCESSOR = "jobs.processors.builtin:JsonEvents"
TABLES = ("backup", "output", "dlq", "ledger")


class Crash(Exception):
    """Stands for kill -9: the batch stops after some table commits."""


class CrashingWrites:
    """``OnceWrites`` that crash right after their ``commits``-th table commit."""

    def __init__(self, writes: OnceWrites, commits: int) -> None:
        self.writes, self.left = writes, commits
        self.run_id = writes.run_id

    def __getattr__(self, table: str):
        def write(rows: DataFrame, path: str) -> None:
            getattr(self.writes, table)(rows, path)
            if table != "resolve":
                self.left -= 1
                if self.left == 0:
                    raise Crash(f"killed after the {table} commit")

        return write


def pipeline(spark, tmp_path, writes) -> MicroBatchPipeline:
    loaded = load_processor(PROCESSOR)
    run = ProcessorRun(
        PROCESSOR, resolve_output_schema(spark, loaded, check_reserved=True), 1_048_576
    )
    to = Destinations(
        str(tmp_path / "backup"),
        str(tmp_path / "dlq"),
        output_path=str(tmp_path / "output"),
        ledger_path=str(tmp_path / "ledger"),
    )
    return MicroBatchPipeline(run, to, writes=writes)


def run_batch(spark, tmp_path, appends: OnceAppends, rows: DataFrame, batch_id: int, crash=0):
    def writes(batch_id: int):
        once = OnceWrites(appends, batch_id)
        return CrashingWrites(once, crash) if crash else once

    pipeline(spark, tmp_path, writes).process(rows, batch_id)


def counts(spark, tmp_path, table: str, key: tuple[str, ...]) -> collections.Counter:
    found = spark.read.format("delta").load(str(tmp_path / table)).where("topic = 'bench'")
    return collections.Counter(tuple(r) for r in found.select(*key).collect())


def assert_each_batch_once(spark, tmp_path, batches: int) -> None:
    offsets = set(range(batches * PER_BATCH))
    backup = counts(spark, tmp_path, "backup", ("offset",))
    assert max(backup.values()) == 1 and {k[0] for k in backup} == offsets
    output = spark.read.format("delta").load(str(tmp_path / "output"))
    done = collections.Counter(r[0] for r in output.select("source_offset").collect())
    dlq = counts(spark, tmp_path, "dlq", ("offset",))
    done.update(k[0] for k in dlq.elements())
    assert max(done.values()) == 1 and set(done) == offsets, "output and DLQ not exactly once"
    ledger = counts(spark, tmp_path, "ledger", ("batch_id", "partition", "date", "hour"))
    assert max(ledger.values()) == 1 and {k[0] for k in ledger} == set(range(batches))


def land_between(spark, tmp_path, batch_id: int) -> None:
    """What other writers may commit while the job is down: a replay's MERGE into each hourly
    table, and an OPTIMIZE of one of them (each in turn: both kinds of commit reach both)."""
    for turn, table in enumerate(("backup", "dlq")):
        path = str(tmp_path / table)
        if DeltaTable.isDeltaTable(spark, path):
            other = spark.read.format("delta").load(path).where(f"batch_id = {batch_id}").limit(5)
            insert_missing(other.withColumn("topic", F.lit("replayed")), path, RECORD_KEY)
            if turn == batch_id % 2:
                spark.sql(f"OPTIMIZE delta.`{path}`")


@pytest.mark.slow  # eight batches over four tables, MERGEs and an OPTIMIZE between
def test_a_crash_between_any_two_table_commits_leaves_every_table_with_each_batch_once(
    spark, batches, tmp_path
):
    """Batch n crashes after its (n+1)-th table commit: after the backup, the output, the DLQ,
    the ledger (the last one: before Spark's checkpoint commit)."""
    for batch_id, commits in enumerate((1, 2, 3, 4)):
        with pytest.raises(Crash):
            run_batch(spark, tmp_path, OnceAppends(APP), batches(batch_id), batch_id, commits)
        land_between(spark, tmp_path, batch_id)
        run_batch(spark, tmp_path, OnceAppends(APP), batches(batch_id), batch_id)
    assert_each_batch_once(spark, tmp_path, 4)
    operations = collections.Counter(
        r["operation"]
        for r in DeltaTable.forPath(spark, str(tmp_path / "backup")).history().collect()
    )
    assert operations["WRITE"] == 4 and operations["MERGE"] >= 3, operations


def test_the_checkpoint_tells_when_its_newest_batch_was_planned(spark, tmp_path):
    checkpoint = tmp_path / "checkpoint"
    assert last_planned_ms(spark, str(checkpoint)) is None
    (checkpoint / "offsets").mkdir(parents=True)
    for batch_id, planned in ((6, 1_764_000_000_000), (7, 1_764_000_060_000)):
        meta = {"batchWatermarkMs": 0, "batchTimestampMs": planned, "conf": {}}
        offsets = {"orders": {"0": 120}}
        text = "\n".join(["v1", json.dumps(meta), json.dumps(offsets)])
        (checkpoint / "offsets" / str(batch_id)).write_text(text)
    assert last_planned_ms(spark, str(checkpoint)) == 1_764_000_060_000
