"""Table maintenance on real Delta tables: closed hours compacted, open hours left alone,
expired hours dropped; and while a real stream writes, after which the audit is clean."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta

import pytest
from pyspark.sql import functions as F

from jobs import maintain
from jobs.config.maintain import TableSpec
from jobs.core import exit_codes
from jobs.core.maintenance_plan import Hour
from jobs.core.partitioning import partition_values
from jobs.runs.maintain import files_per_hour
from kafka_utils import Message, assert_eventually
from tests.e2e.producing import ContinuousProducer
from tests.integration.job_runs import (
    JobPaths,
    batch_ids,
    run_in_process,
    start_subprocess,
    table,
)
from tests.integration.test_replay import run_audit

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a busy machine: whole Spark runs


def hour_of(moment: datetime) -> Hour:
    return Hour(*partition_values(moment))


def append_small_batches(spark, path: str, moment: datetime, batches: int, first_id: int = 0):
    """What the stream's micro-batches leave in an hour: a few small files per batch."""
    date, hour = partition_values(moment)
    for batch in range(batches):
        ids = spark.range(first_id + batch * 30, first_id + (batch + 1) * 30, numPartitions=3)
        rows = ids.select(F.col("id"), F.lit(date).alias("date"), F.lit(hour).alias("hour"))
        rows.write.format("delta").mode("append").partitionBy("date", "hour").save(path)


def files(spark, name: str, path: str) -> dict[Hour, int]:
    return {h: n for h, (n, _) in files_per_hour(spark, TableSpec(name, path)).items()}


def test_closed_hours_are_compacted_open_ones_left_and_expired_ones_dropped(spark, tmp_path):
    now = datetime.now(UTC)
    closed_hour, open_hour, old = now - timedelta(hours=3), now, now - timedelta(days=40)
    backup, dlq = str(tmp_path / "backup"), str(tmp_path / "dlq")
    append_small_batches(spark, backup, closed_hour, 6)
    append_small_batches(spark, backup, open_hour, 4, first_id=1000)
    append_small_batches(spark, dlq, old, 3)
    append_small_batches(spark, dlq, closed_hour, 3, first_id=1000)
    before = {"backup": files(spark, "backup", backup), "dlq": files(spark, "dlq", dlq)}
    assert before["backup"][hour_of(closed_hour)] == 18
    args = ["--backup-path", backup, "--dlq-path", dlq, "--dlq-retention", "30d"]

    assert maintain.main([*args, "--dry-run", "--vacuum"]) == exit_codes.FINISHED
    assert {"backup": files(spark, "backup", backup), "dlq": files(spark, "dlq", dlq)} == before

    assert maintain.main([*args, "--vacuum"]) == exit_codes.FINISHED
    after = files(spark, "backup", backup)
    assert after[hour_of(closed_hour)] == 1
    assert after[hour_of(open_hour)] == before["backup"][hour_of(open_hour)]
    assert files(spark, "dlq", dlq) == {hour_of(closed_hour): 1}
    assert table(spark, backup).count() == 300 and table(spark, dlq).count() == 90
    ids = [r["id"] for r in table(spark, backup).collect()]
    assert sorted(ids) == [*range(180), *range(1000, 1120)]


def test_maintenance_while_the_stream_writes_loses_nothing_and_the_audit_stays_clean(
    kafka_utils, spark, topic, tmp_path, capsys
):
    name = topic(partitions=3)
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, name, "replay_processors:no_views")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    kafka_utils.send_messages(name, [Message(b"k", b"{}", (), 0, now_ms) for _ in range(5)])
    producer = ContinuousProducer(kafka_utils, name, count=1_500, per_send=30, every=0.5)
    producer.start()
    log = tmp_path / "job.log"
    running = [*args, "--trigger", "processing-time=1s", "--max-offsets-per-trigger", "100"]
    job = start_subprocess(running, log)
    assert_eventually(lambda: len(batch_ids(log.read_text())) >= 6, True, timeout=900)
    tables = ["--backup-path", paths.backup, "--dlq-path", paths.dlq]
    tables += ["--output-path", paths.output, "--ledger-path", paths.ledger, "--json"]
    tables += ["--grace", "2h"]  # the current hour stays open however long the test takes
    capsys.readouterr()
    assert maintain.main(tables) == exit_codes.FINISHED
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["tables"]
    assert job.poll() is None, "the stream went on"

    produced = producer.finish()
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=300) == exit_codes.STOPPED, log.read_text()[-3000:]
    assert run_in_process([*args, "--trigger", "available-now"]) == exit_codes.FINISHED
    code, report = run_audit(paths, capsys)
    assert code == 0, report["problems"]
    assert report["totals"]["backed_up"] == len(produced) + 5
    current = str(hour_of(datetime.fromtimestamp(now_ms / 1000, UTC)))
    for name in ("backup", "dlq", "output"):
        compacted = done[name]["compacted"]
        assert compacted, f"{name}: no closed hour compacted"
        assert all(h["files_after"] < h["files_before"] for h in compacted), compacted
        assert current not in [h["hour"] for h in compacted], "the open hour is left alone"
    assert done["backup"]["open_hours"] == 1
