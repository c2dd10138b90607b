"""Replays (Kafka, backup, DLQ), audit and resume-from-ledger: real broker, real Delta tables."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from jobs import audit, replay
from kafka_utils.pytest_plugin import new_name
from kafka_utils.timing import scaled
from tests.integration.job_runs import JobPaths, run_in_process, start_subprocess, table
from tests.integration.test_stream_job import assert_exactly_once, coordinates, produce_sample

# The module's tests share a stream run (``streamed``), and most replay it in MERGE chunks of
# several seconds each: slow as a whole, so ``make test-fast`` skips the fixture too.
pytestmark = pytest.mark.slow

JSON_EVENTS = "jobs.processors.builtin:json_events"
NO_VIEWS = "replay_processors:no_views"
LENIENT = "replay_processors:lenient_events"


class Streamed:
    """A topic of sample records and the tables one stream run made of it."""

    def __init__(self, name: str, produced: dict, paths: JobPaths) -> None:
        self.name = name
        self.produced = produced
        self.paths = paths

    def good(self, processor_drops_views: bool = False) -> set:
        views = {c for c, r in self.produced.items() if _kind(r.value) == "view"}
        good = {c for c, r in self.produced.items() if r.expected_error is None}
        return good - views if processor_drops_views else good

    def bad(self) -> dict:
        return {c: r.expected_error for c, r in self.produced.items() if r.expected_error}


def _kind(value: bytes | None) -> str | None:
    try:
        return json.loads(value)["kind"]
    except Exception:
        return None


@pytest.fixture(scope="module")
def streamed(kafka_utils, tmp_path_factory) -> Streamed:
    """300 records over 3 partitions and 3 hours, streamed once with views filtered out."""
    name = new_name("replay")
    kafka_utils.create_topics([name], 3)
    produced = produce_sample(kafka_utils, name, 300, seed=11)
    paths = JobPaths(tmp_path_factory.mktemp("streamed"))
    args = [*paths.args(kafka_utils.broker, name, NO_VIEWS), "--trigger", "available-now"]
    assert run_in_process(args) == 0
    return Streamed(name, produced, paths)


def copy_tables(paths: JobPaths, root: Path) -> JobPaths:
    copied = JobPaths(root)
    for name in ("backup", "dlq", "output", "ledger"):
        shutil.copytree(paths.root / name, root / name)
    return copied


def audit_args(paths: JobPaths, *extra: str) -> list[str]:
    return [
        "--backup-path",
        paths.backup,
        "--dlq-path",
        paths.dlq,
        "--ledger-path",
        paths.ledger,
        "--output-path",
        paths.output,
        *extra,
    ]


def run_audit(paths: JobPaths, capsys, *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = audit.main(audit_args(paths, "--json", *extra))
    printed = capsys.readouterr().out
    return code, json.loads(printed.strip().splitlines()[-1])


def replay_args(mode: str, paths: JobPaths, processor: str, *extra: str) -> list[str]:
    return [
        mode,
        "--processor",
        processor,
        "--backup-path",
        paths.backup,
        "--dlq-path",
        paths.dlq,
        "--output-path",
        paths.output,
        "--ledger-path",
        paths.ledger,
        "--name",
        "test",
        *extra,
    ]


def run_replay(capsys, args: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = replay.main(args)
    return code, capsys.readouterr().out


def summary_of(printed: str) -> dict:
    return json.loads(next(line for line in printed.splitlines() if '"replay-summary"' in line))


def all_from_start(name: str, partitions: int = 3) -> str:
    return json.dumps({name: {str(p): 0 for p in range(partitions)}})


def test_audit_is_clean_after_a_stream_run_and_accounts_for_filtered_records(
    streamed, kafka_utils, capsys
):
    code, report = run_audit(streamed.paths, capsys, "--bootstrap-servers", kafka_utils.broker)

    assert code == 0, report["problems"]
    assert report["clean"] is True
    totals = report["totals"]
    views = len(streamed.good()) - len(streamed.good(processor_drops_views=True))
    assert totals["backed_up"] == len(streamed.produced)
    assert totals["filtered"] == views > 0
    assert totals["output"] == len(streamed.good(processor_drops_views=True))
    assert totals["dlq"] == len(streamed.bad())
    hours = {(p["date"], p["hour"]) for p in report["partitions"]}
    assert hours == {("2026-11-22", h) for h in ("09", "10", "11")}


def test_audit_text_report_names_each_hour(streamed, capsys):
    capsys.readouterr()
    code = audit.main(
        audit_args(streamed.paths, "--from", "2026-11-22T10", "--to", "2026-11-22T10")
    )
    text = capsys.readouterr().out

    assert code == 0
    assert "hours 2026-11-22T10 to 2026-11-22T10" in text
    assert "clean: every backed-up record is accounted for exactly once" in text
    assert " 09 " not in text and " 10 " in text


def test_kafka_replay_keeps_coordinates_and_a_second_run_adds_nothing(
    spark, streamed, kafka_utils, tmp_path, capsys
):
    paths = JobPaths(tmp_path)
    args = replay_args(
        "kafka",
        paths,
        JSON_EVENTS,
        "--bootstrap-servers",
        kafka_utils.broker,
        "--starting-offsets",
        all_from_start(streamed.name),
    )

    code, printed = run_replay(capsys, [*args, "--chunk-records", "150"])
    assert code == 0, printed
    summary = summary_of(printed)
    assert summary["read"] == 300 and summary["batches"] == 2

    backup = table(spark, paths.backup)
    assert_exactly_once(coordinates(backup), set(streamed.produced))
    for row in backup.select(
        "partition", "offset", F.unix_millis("timestamp").alias("ms")
    ).collect():
        assert row["ms"] == streamed.produced[(row["partition"], row["offset"])].timestamp_ms
    output = table(spark, paths.output).select("source_partition", "source_offset").collect()
    assert_exactly_once([tuple(r) for r in output], streamed.good())
    dlq = table(spark, paths.dlq).collect()
    assert {(r["partition"], r["offset"]): r["error_type"] for r in dlq} == streamed.bad()

    # One chunk this time: the second run's MERGE must skip every record it already wrote.
    code, printed = run_replay(capsys, [*args, "--chunk-records", "300"])
    assert code == 0, printed
    assert summary_of(printed)["batches"] == 1
    assert table(spark, paths.backup).count() == 300
    assert table(spark, paths.output).count() == len(streamed.good())
    assert table(spark, paths.dlq).count() == len(streamed.bad())
    ledger = table(spark, paths.ledger)
    assert {r["mode"] for r in ledger.select("mode").distinct().collect()} == {"replay-kafka"}
    assert ledger.select("run_id").distinct().count() == 2
    assert run_audit(paths, capsys)[0] == 0


def test_backup_replay_backfills_a_new_output_from_archived_hours(
    spark, streamed, tmp_path, capsys
):
    fresh = JobPaths(tmp_path)
    args = [
        "backup",
        "--processor",
        JSON_EVENTS,
        "--backup-path",
        streamed.paths.backup,
        "--dlq-path",
        fresh.dlq,
        "--output-path",
        fresh.output,
        "--from",
        "2026-11-22T09",
        "--to",
        "2026-11-22T10",
    ]

    code, printed = run_replay(capsys, args)
    assert code == 0, printed
    in_hours = {
        c
        for c, r in streamed.produced.items()
        if r.timestamp_ms < _ms_of_hour(11) and r.expected_error is None
    }
    output = table(spark, fresh.output)
    assert_exactly_once(
        [tuple(r) for r in output.select("source_partition", "source_offset").collect()], in_hours
    )
    assert {r["hour"] for r in output.select("hour").distinct().collect()} == {"09", "10"}

    code, printed = run_replay(capsys, args)
    assert code == 0 and summary_of(printed)["read"] > 0
    assert table(spark, fresh.output).count() == len(in_hours)


def test_dlq_replay_after_fixing_the_processor_moves_exactly_the_fixed_rows(
    spark, streamed, tmp_path, capsys
):
    paths = copy_tables(streamed.paths, tmp_path)
    missing_field = {c for c, e in streamed.bad().items() if e == "MissingField"}
    output_before = table(spark, paths.output).count()

    code, printed = run_replay(
        capsys, replay_args("dlq", paths, LENIENT, "--error-type", "MissingField")
    )
    assert code == 0, printed
    run_id = summary_of(printed)["run_id"]
    assert summary_of(printed)["resolved"] == len(missing_field) > 0

    output = table(spark, paths.output)
    assert output.count() == output_before + len(missing_field)
    replayed = output.where(F.col("source_offset").isNotNull()).join(
        table(spark, paths.dlq).where(F.col("resolved_by") == run_id),
        (F.col("source_partition") == F.col("partition"))
        & (F.col("source_offset") == F.col("offset")),
    )
    assert replayed.count() == len(missing_field)
    dlq = {(r["partition"], r["offset"]): r for r in table(spark, paths.dlq).collect()}
    for coordinates_, row in dlq.items():
        if coordinates_ in missing_field:
            assert row["resolved_by"] == run_id and row["resolved_at"] is not None
        else:
            assert row["resolved_at"] is None and row["attempts"] == 1

    code, printed = run_replay(capsys, replay_args("dlq", paths, LENIENT))
    assert code == 0, printed
    assert summary_of(printed)["resolved"] == 0
    dlq = table(spark, paths.dlq)
    assert dlq.count() == len(streamed.bad())
    again = dlq.where(F.col("resolved_at").isNull()).collect()
    assert {r["attempts"] for r in again} == {2}
    assert table(spark, paths.output).count() == output_before + len(missing_field)
    assert run_audit(paths, capsys)[0] == 0


@pytest.mark.parametrize(
    "damage", ["delete-backup", "double-output", "delete-output", "double-dlq"]
)
def test_audit_fails_with_the_right_report_after_rows_are_damaged(
    spark, streamed, tmp_path, capsys, damage
):
    paths = copy_tables(streamed.paths, tmp_path)
    some = "partition = 1 AND offset IN (3, 4, 5)"
    if damage == "delete-backup":
        DeltaTable.forPath(spark, paths.backup).delete(some)
        expected = {"not_backed_up", "ledger_shortfall"}
    elif damage == "double-output":
        table(spark, paths.output).where("source_partition = 0").limit(2).write.format(
            "delta"
        ).mode("append").save(paths.output)
        expected = {"doubled_in_output"}
    elif damage == "delete-output":
        DeltaTable.forPath(spark, paths.output).delete("source_partition = 2")
        expected = {"unaccounted"}
    else:
        table(spark, paths.dlq).limit(1).write.format("delta").mode("append").save(paths.dlq)
        expected = {"doubled_in_dlq"}

    code, report = run_audit(paths, capsys)

    assert code == 1
    assert report["clean"] is False
    assert {p["kind"] for p in report["problems"]} >= expected
    assert {p["kind"] for p in report["problems"]} <= expected | {"not_backed_up"}


def test_resume_from_ledger_after_the_checkpoint_is_lost_doubles_nothing(
    spark, kafka_utils, topic, tmp_path, capsys
):
    name = topic(partitions=3)
    first = produce_sample(kafka_utils, name, 150, seed=3)
    paths = JobPaths(tmp_path)
    args = [*paths.args(kafka_utils.broker, name, JSON_EVENTS), "--trigger", "available-now"]
    assert run_in_process(args) == 0
    shutil.rmtree(paths.checkpoint)
    second = produce_sample(kafka_utils, name, 150, seed=4)

    assert run_in_process([*args, "--resume-from-ledger"]) == 0

    produced = {**first, **second}
    assert_exactly_once(coordinates(table(spark, paths.backup)), set(produced))
    good = {c for c, r in produced.items() if r.expected_error is None}
    output = table(spark, paths.output).select("source_partition", "source_offset").collect()
    assert_exactly_once([tuple(r) for r in output], good)
    assert run_audit(paths, capsys)[0] == 0


def test_resume_from_ledger_finishes_a_batch_cut_short_before_its_ledger_row(
    spark, kafka_utils, topic, tmp_path, capsys
):
    name = topic(partitions=3)
    produced = produce_sample(kafka_utils, name, 200, seed=5)
    paths = JobPaths(tmp_path)
    args = [*paths.args(kafka_utils.broker, name, JSON_EVENTS), "--trigger", "available-now"]
    crashed = start_subprocess(args, tmp_path / "job.log", KAFKA_STREAM_FAULT="after-output:0")
    assert crashed.wait(timeout=scaled(300)) == 137, (tmp_path / "job.log").read_text()[-3000:]
    shutil.rmtree(paths.checkpoint)

    assert run_in_process([*args, "--resume-from-ledger"]) == 0

    assert_exactly_once(coordinates(table(spark, paths.backup)), set(produced))
    good = {c for c, r in produced.items() if r.expected_error is None}
    output = table(spark, paths.output).select("source_partition", "source_offset").collect()
    assert_exactly_once([tuple(r) for r in output], good)
    bad = {c for c, r in produced.items() if r.expected_error}
    assert_exactly_once(coordinates(table(spark, paths.dlq)), bad)
    modes = collections.Counter(r["mode"] for r in table(spark, paths.ledger).collect())
    assert set(modes) == {"resume"}
    assert run_audit(paths, capsys)[0] == 0


def test_a_range_kafka_no_longer_holds_is_named_or_skipped_with_allow_missing(
    kafka_utils, topic, tmp_path, capsys
):
    from kafka import TopicPartition

    name = topic(partitions=3)
    produced = produce_sample(kafka_utils, name, 60, seed=6)
    kafka_utils.admin_client.delete_records({TopicPartition(name, 0): 10})
    paths = JobPaths(tmp_path)
    args = replay_args(
        "kafka",
        paths,
        JSON_EVENTS,
        "--bootstrap-servers",
        kafka_utils.broker,
        "--starting-offsets",
        json.dumps({name: {"0": 0}}),
    )

    code, printed = run_replay(capsys, args)
    assert code == 1
    assert not Path(paths.backup).exists()

    code, printed = run_replay(capsys, [*args, "--allow-missing"])
    assert code == 0, printed
    summary = summary_of(printed)
    assert summary["read"] == sum(1 for p, _ in produced if p == 0) - 10
    assert summary["missing"] == [f"{name}[0]: offsets 0..9 are no longer retained (10 records)"]


def test_retention_error_names_partition_asked_offset_and_earliest(
    kafka_utils, topic, tmp_path, caplog
):
    from kafka import TopicPartition

    name = topic(partitions=3)
    produce_sample(kafka_utils, name, 30, seed=8)
    kafka_utils.admin_client.delete_records({TopicPartition(name, 1): 4})
    args = replay_args(
        "kafka",
        JobPaths(tmp_path),
        JSON_EVENTS,
        "--bootstrap-servers",
        kafka_utils.broker,
        "--starting-offsets",
        json.dumps({name: {"0": 0, "1": 2}}),
    )

    with caplog.at_level("ERROR", logger="jobs"):
        assert replay.main(args) == 1
    assert f"{name}[1]: offset 2 is no longer retained; the earliest available is 4" in caplog.text


@pytest.mark.parametrize(
    ("extra", "code", "says"),
    [
        (
            ["--ending-offsets", '{"T": {"0": 3}}', "--starting-offsets", '{"T": {"0": 9}}'],
            2,
            "reversed",
        ),
        (
            ["--starting-offsets", '{"T": {"0": 5}}', "--ending-offsets", '{"T": {"0": 5}}'],
            0,
            "nothing to replay",
        ),
        (["--starting-offsets", '{"T": {"7": 0}}'], 2, "T[7] does not exist"),
    ],
)
def test_bad_or_empty_kafka_ranges_get_clear_messages(
    kafka_utils, topic, tmp_path, capsys, caplog, extra, code, says
):
    name = topic(partitions=3)
    produce_sample(kafka_utils, name, 30, seed=9)
    extra = [e.replace('"T"', json.dumps(name)) for e in extra]
    args = replay_args(
        "kafka", JobPaths(tmp_path), JSON_EVENTS, "--bootstrap-servers", kafka_utils.broker, *extra
    )

    with caplog.at_level("ERROR", logger="jobs"):
        result, printed = run_replay(capsys, args)

    assert result == code
    assert says.replace("T[", f"{name}[") in printed + caplog.text


def test_empty_hours_nothing_matching_and_dry_run_write_nothing(streamed, tmp_path, capsys):
    fresh = JobPaths(tmp_path)
    no_hours = replay_args(
        "backup", fresh, JSON_EVENTS, "--from", "2030-01-01T00", "--to", "2030-01-01T05"
    )
    no_hours[no_hours.index("--backup-path") + 1] = streamed.paths.backup
    code, printed = run_replay(capsys, no_hours)
    assert code == 0 and "nothing to replay" in printed

    nothing = replay_args("dlq", fresh, JSON_EVENTS, "--error-type", "NoSuchError")
    nothing[nothing.index("--dlq-path") + 1] = streamed.paths.dlq
    code, printed = run_replay(capsys, nothing)
    assert code == 0 and "nothing to replay" in printed

    dry = replay_args("dlq", fresh, LENIENT, "--dry-run")
    dry[dry.index("--dlq-path") + 1] = streamed.paths.dlq
    code, printed = run_replay(capsys, dry)
    assert code == 0
    assert f"{len(streamed.bad()):,} records" in printed and "dry run: nothing written" in printed
    assert not Path(fresh.output).exists() and not Path(fresh.ledger).exists()


def test_hours_given_backwards_are_bad_usage(streamed, tmp_path, caplog):
    args = replay_args(
        "backup", streamed.paths, JSON_EVENTS, "--from", "2026-11-22T11", "--to", "2026-11-22T09"
    )
    with caplog.at_level("ERROR", logger="jobs"):
        assert replay.main(args) == 2
    assert "--to: 2026-11-22T09 is before --from 2026-11-22T11" in caplog.text


def _ms_of_hour(hour: int) -> int:
    from datetime import UTC, datetime

    return int(datetime(2026, 11, 22, hour, tzinfo=UTC).timestamp() * 1000)
