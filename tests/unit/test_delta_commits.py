"""Appends once per table and batch, told by tagged commits on the log tail (real Delta tables).

A "run" is one ``OnceAppends`` (what one streaming query run holds); a crash is a run that is
dropped, the restart a new one for the same app id.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.errors import AnalysisException

from jobs.core.errors import InfrastructureError
from jobs.io.delta_commits import (
    CommitTag,
    LogAnswer,
    OnceAppends,
    append_once,
    append_tagged,
    find_batch,
)
from jobs.io.table_writes import insert_missing

HOURLY = ("date", "hour")
APP = "orders-1b2c"


@pytest.fixture
def checkpoint_every_10(spark):
    """Delta's default checkpoint interval for the tables a test creates, whatever the session
    was given by a job built earlier in this process (spark-conf says 100)."""
    key = "spark.databricks.delta.properties.defaults.checkpointInterval"
    previous = spark.conf.get(key, None)
    spark.conf.set(key, "10")
    yield
    if previous is None:
        spark.conf.unset(key)
    else:
        spark.conf.set(key, previous)


@pytest.fixture
def rows(spark):
    def make(first: int, count: int = 3, topic: str = "orders"):
        data = [
            (topic, 0, offset, f"v{offset}", "2026-11-22", "09")
            for offset in range(first, first + count)
        ]
        return spark.createDataFrame(
            data, "topic STRING, partition INT, offset LONG, value STRING, date STRING, hour STRING"
        )

    return make


def offsets(spark, path: Path) -> list[int]:
    return sorted(r["offset"] for r in spark.read.format("delta").load(str(path)).collect())


def operations(spark, path: Path) -> list[str]:
    return [r["operation"] for r in DeltaTable.forPath(spark, str(path)).history().collect()]


def test_the_tag_reads_back_and_other_metadata_is_not_a_tag():
    tag = CommitTag("job-é-1", 42)
    assert CommitTag.parse(tag.text()) == tag
    for other in (None, "", "nightly backfill", '{"kafka-stream": 1}', "{not json kafka-stream"):
        assert CommitTag.parse(other) is None


def test_a_batch_is_appended_once_and_the_next_one_is_appended(spark, rows, tmp_path):
    path = str(tmp_path / "backup")
    assert find_batch(spark, path, APP, 0) is LogAnswer.ABSENT
    assert append_once(rows(0), path, app_id=APP, batch_id=0, partition_by=HOURLY)
    assert not append_once(rows(0), path, app_id=APP, batch_id=0, partition_by=HOURLY)
    assert append_once(rows(3), path, app_id=APP, batch_id=1, partition_by=HOURLY)
    assert offsets(spark, tmp_path / "backup") == list(range(6))
    assert find_batch(spark, path, APP, 1) is LogAnswer.COMMITTED
    assert find_batch(spark, path, "another-app", 1) is LogAnswer.ABSENT


@pytest.mark.slow
def test_a_restart_after_a_crash_between_two_tables_skips_only_the_written_one(
    spark, rows, tmp_path
):
    backup, dlq = str(tmp_path / "backup"), str(tmp_path / "dlq")
    first_run = OnceAppends(APP)
    for batch_id in (0, 1):
        first_run.append(rows(batch_id * 3), backup, batch_id, HOURLY)
        first_run.append(rows(batch_id * 3), dlq, batch_id, HOURLY)
    first_run.append(rows(6), backup, 2, HOURLY)  # then kill -9: batch 2 never reaches the DLQ

    restart = OnceAppends(APP)
    assert not restart.append(rows(6), backup, 2, HOURLY)
    assert restart.append(rows(6), dlq, 2, HOURLY)
    assert restart.append(rows(9), backup, 3, HOURLY)
    assert offsets(spark, tmp_path / "backup") == list(range(12))
    assert offsets(spark, tmp_path / "dlq") == list(range(9))


@pytest.mark.slow
def test_a_replay_merge_an_optimize_and_a_delete_in_between_are_stepped_over(spark, rows, tmp_path):
    path = str(tmp_path / "dlq")
    OnceAppends(APP).append(rows(0), path, 7, HOURLY)  # then the crash
    insert_missing(rows(100, topic="other"), path, ("topic", "partition", "offset"))
    spark.sql(f"OPTIMIZE delta.`{path}`")
    DeltaTable.forPath(spark, path).delete("offset = 101")
    assert operations(spark, tmp_path / "dlq")[:3] == ["DELETE", "OPTIMIZE", "MERGE"]

    restart = OnceAppends(APP)
    assert not restart.append(rows(0), path, 7, HOURLY)
    assert restart.append(rows(3), path, 8, HOURLY)
    rest = spark.read.format("delta").load(path).where("topic = 'orders'")
    assert sorted(r["offset"] for r in rest.collect()) == list(range(6))


def test_another_apps_tags_and_a_users_own_metadata_are_not_taken_for_ours(spark, rows, tmp_path):
    path = str(tmp_path / "backup")
    OnceAppends(APP).append(rows(0), path, 3, HOURLY)
    OnceAppends("orders-other-query").append(rows(3), path, 9, HOURLY)
    spark.conf.set("spark.databricks.delta.commitInfo.userMetadata", "manual fix, ticket 12")
    try:
        DeltaTable.forPath(spark, path).delete("offset = 0")
    finally:
        spark.conf.unset("spark.databricks.delta.commitInfo.userMetadata")
    assert find_batch(spark, path, APP, 3) is LogAnswer.COMMITTED
    assert find_batch(spark, path, APP, 4) is LogAnswer.ABSENT


@pytest.mark.slow
def test_the_answer_holds_across_a_delta_checkpoint(spark, rows, tmp_path, checkpoint_every_10):
    path = str(tmp_path / "backup")
    run = OnceAppends(APP)
    for batch_id in range(12):
        run.append(rows(batch_id * 3), path, batch_id, HOURLY)
    checkpoints = list((tmp_path / "backup" / "_delta_log").glob("*.checkpoint*"))
    assert checkpoints, "Delta wrote no checkpoint after 12 commits"
    restart = OnceAppends(APP)
    assert not restart.append(rows(33), path, 11, HOURLY)
    assert restart.append(rows(36), path, 12, HOURLY)
    assert offsets(spark, tmp_path / "backup") == list(range(39))


def test_a_failed_append_makes_the_run_read_the_log_again(spark, rows, tmp_path):
    """An append may fail after its commit landed: the run must not trust its memory then."""
    path = str(tmp_path / "backup")
    run = OnceAppends(APP)
    run.append(rows(0), path, 0, HOURLY)
    wrong_schema = spark.createDataFrame(
        [(1, "2026-11-22", "09")], "offset STRING, date STRING, hour STRING"
    )
    with pytest.raises(AnalysisException):
        run.append(wrong_schema, path, 1, HOURLY)
    append_tagged(rows(3), path, CommitTag(APP, 1), HOURLY)  # the commit that did land
    assert not run.append(rows(3), path, 1, HOURLY)
    assert offsets(spark, tmp_path / "backup") == list(range(6))


def cleaned_log(spark, rows, path: str, log: Path) -> None:
    """The app's batch 0, then 11 commits of another app, then the log cleaned up to the
    checkpoint at version 10, as ``delta.logRetentionDuration`` would do it."""
    OnceAppends(APP).append(rows(0), path, 0, HOURLY)
    other = OnceAppends("another-app")
    for batch_id in range(11):
        other.append(rows(100 + batch_id), path, batch_id, HOURLY)
    assert (log / f"{10:020d}.checkpoint.parquet").exists()
    for version in range(10):
        for suffix in (".json", ".crc"):
            (log / f"{version:020d}{suffix}").unlink(missing_ok=True)


@pytest.mark.slow
def test_a_log_cleaned_past_the_batch_is_not_taken_for_absent(
    spark, rows, tmp_path, checkpoint_every_10
):
    path = str(tmp_path / "backup")
    cleaned_log(spark, rows, path, tmp_path / "backup" / "_delta_log")
    assert find_batch(spark, path, APP, 0) is LogAnswer.UNKNOWN
    with pytest.raises(InfrastructureError, match="cannot tell whether batch 0"):
        OnceAppends(APP).append(rows(0), path, 0, HOURLY)

    written = []
    run = OnceAppends(APP, fallback=lambda r, p: written.append((r.count(), p)))
    assert run.append(rows(0), path, 0, HOURLY)
    assert written == [(3, path)]
    assert run.append(rows(3), path, 1, HOURLY)  # the run knows its table from now on
    assert len(written) == 1


@pytest.mark.slow
def test_commits_older_than_the_batch_need_not_be_read(spark, rows, tmp_path, checkpoint_every_10):
    path = str(tmp_path / "backup")
    cleaned_log(spark, rows, path, tmp_path / "backup" / "_delta_log")
    planned = max(r["timestamp"] for r in DeltaTable.forPath(spark, path).history().collect())
    planned_ms = int(planned.timestamp() * 1000) + 1
    assert find_batch(spark, path, APP, 1, not_before_ms=planned_ms) is LogAnswer.ABSENT
