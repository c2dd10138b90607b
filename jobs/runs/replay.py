"""Plans and runs a replay with Spark: the sources, the chunks, the stream's pipeline."""

from __future__ import annotations

import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config.replay import ReplayConfig
from jobs.core.batch_stats import RunTotals
from jobs.core.errors import ConfigError
from jobs.core.ledger import REPLAY_MODES
from jobs.core.processor import LoadedProcessor
from jobs.core.replay_plan import (
    Chunk,
    Progress,
    ReplayPlan,
    chunks,
    group_by_size,
    offset_ranges,
    within_retention,
)
from jobs.io.kafka_offsets import broker_offsets
from jobs.io.kafka_source import kafka_rows
from jobs.io.output_schema import resolve_output_schema
from jobs.io.sinks import KafkaTopic
from jobs.io.table_writes import KeyedWrites
from jobs.io.tables import archived, as_kafka_rows, check_archive_timezone, failed
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.micro_batch import Destinations, MicroBatchPipeline

__all__ = ["ReplayRunner", "replay", "summary_text"]


class ReplayRunner:
    def __init__(self, spark: SparkSession, config: ReplayConfig, loaded: LoadedProcessor) -> None:
        self.spark = spark
        self.config = config
        self.loaded = loaded
        self.run_id = config.new_run_id()

    def plan(self) -> ReplayPlan:
        check_archive_timezone(self.spark, self.config.backup_path, self.config.timezone)
        if self.config.mode == "kafka":
            return self.plan_kafka()
        return self.plan_table()

    def plan_kafka(self) -> ReplayPlan:
        c = self.config
        topics = sorted(c.starting_offsets or c.topics)
        with broker_offsets(c.bootstrap_servers, c.kafka_options, c.broker_timeout) as broker:
            partitions = broker.partitions(topics)
            earliest, latest = broker.earliest(partitions), broker.latest(partitions)
            if c.starting_offsets:
                starting = c.starting_offsets
                _check_known(starting, earliest, "--starting-offsets")
            else:
                starting = _nested(broker.at_time(partitions, c.starting_timestamp_ms))
            ending = _nested(latest)
            if c.ending_offsets:
                _check_known(c.ending_offsets, earliest, "--ending-offsets")
                ending = {t: {**ending.get(t, {}), **p} for t, p in c.ending_offsets.items()}
            elif c.ending_timestamp_ms is not None:
                ending = _nested(broker.at_time(partitions, c.ending_timestamp_ms))
        ranges, holes = within_retention(
            offset_ranges(starting, ending), earliest, latest, allow_missing=c.allow_missing
        )
        what = ", ".join(str(r) for r in ranges) or "the asked range"
        planned = [
            Chunk(
                rows=lambda part=part: kafka_rows(
                    self.spark, c.bootstrap_servers, c.kafka_options, part
                ),
                records=sum(r.size for r in part),
                partitions=frozenset((r.topic, r.partition) for r in part),
            )
            for part in chunks(ranges, c.chunk_records)
        ]
        return ReplayPlan(f"kafka {what}", planned, "topic-partitions", holes)

    def plan_table(self) -> ReplayPlan:
        c = self.config
        if c.mode == "backup":
            source = archived(self.spark, c.backup_path, c.hours, c.topics)
            what = f"backup hours {c.hours}"
        else:
            source = failed(self.spark, c.dlq_path, c.hours, c.topics, c.error_types)
            what = "unresolved DLQ rows" + (f" of hours {c.hours}" if c.hours else "")
            what += f" with error_type in {list(c.error_types)}" if c.error_types else ""
        what += f" of topics {list(c.topics)}" if c.topics else ""
        counts = source.groupBy("date", "hour").count().orderBy("date", "hour").collect()
        sizes = {(r["date"], r["hour"]): r["count"] for r in counts}
        groups = group_by_size([(d, h, n) for (d, h), n in sizes.items()], c.chunk_records)
        planned = [
            Chunk(
                rows=lambda hours=hours: as_kafka_rows(_of_hours(source, hours)),
                records=sum(sizes[h] for h in hours),
                partitions=frozenset(hours),
            )
            for hours in groups
        ]
        return ReplayPlan(what, planned, "hours")

    def run(self, plan: ReplayPlan, progress: Progress) -> RunTotals:
        c = self.config
        run_id = self.run_id
        pipeline = MicroBatchPipeline(
            ProcessorRun(
                self.loaded.path, self.output_schema(), c.max_record_bytes, c.record_timeout or None
            ),
            self.destinations(),
            writes=lambda _: KeyedWrites(run_id),
            timezone=c.timezone,
            job_name=c.name,
            mode=REPLAY_MODES[c.mode],
            backup=_backup_role(c),
        )
        totals = RunTotals()
        for number, chunk in enumerate(plan.chunks, start=1):
            totals.add(pipeline.process(chunk.rows(), number))
            progress.chunk_done(number, chunk)
        return totals

    def output_schema(self):
        c = self.config
        return resolve_output_schema(
            self.spark, self.loaded, check_reserved=bool(c.output_path or not c.output_topic)
        )

    def destinations(self) -> Destinations:
        c = self.config
        topic = (
            KafkaTopic(c.output_topic, c.bootstrap_servers, c.kafka_options)
            if c.output_topic
            else None
        )
        return Destinations(c.backup_path, c.dlq_path, c.output_path, c.ledger_path, topic)


def _backup_role(c: ReplayConfig) -> str:
    if c.mode == "backup":
        return "is-source"
    if c.mode == "kafka" and not c.skip_backup:
        return "write"
    return "skip"


def _of_hours(source: DataFrame, hours: list[tuple[str, str]]) -> DataFrame:
    condition = F.lit(False)
    for date, hour in hours:
        condition = condition | ((F.col("date") == date) & (F.col("hour") == hour))
    return source.where(condition)


def _nested(flat: dict[tuple[str, int], int]) -> dict[str, dict[int, int]]:
    nested: dict[str, dict[int, int]] = {}
    for (topic, partition), offset in flat.items():
        nested.setdefault(topic, {})[partition] = offset
    return nested


def _check_known(offsets: dict[str, dict[int, int]], known: dict, setting: str) -> None:
    for topic, partitions in offsets.items():
        for partition in partitions:
            if (topic, partition) not in known:
                raise ConfigError(setting, f"{topic}[{partition}] does not exist on the cluster")


def replay(
    spark: SparkSession, config: ReplayConfig, loaded: LoadedProcessor, began: float
) -> dict[str, object] | None:
    """Plan the replay, print the plan, run it: its summary, or None when nothing ran."""
    runner = ReplayRunner(spark, config, loaded)
    plan = runner.plan()
    print(plan.describe(), flush=True)
    if not plan.chunks:
        print(f"nothing to replay: {plan.what} holds no records", flush=True)
        return None
    if config.dry_run:
        print("dry run: nothing written", flush=True)
        return None
    totals = runner.run(plan, Progress(plan))
    return replay_summary(config, totals, plan, runner.run_id, time.monotonic() - began)


def replay_summary(
    config: ReplayConfig, totals: RunTotals, plan: ReplayPlan, run_id: str, seconds: float
) -> dict[str, object]:
    summary = {
        **totals.summary(seconds),
        "event": "replay-summary",
        "mode": config.mode,
        "run_id": run_id,
        "what": plan.what,
        "missing": [str(h) for h in plan.holes],
    }
    if config.mode == "dlq":
        summary["resolved"] = totals.read - totals.dlq
        summary["still_failing"] = totals.dlq
    if config.mode != "kafka" or config.skip_backup:
        summary["backed_up"] = 0
    return summary


def summary_text(s: dict) -> str:
    text = (
        f"replay {s['mode']} ({s['run_id']}): {s['read']} records read in "
        f"{s['batches']} chunk(s), {s['output']} output rows, {s['filtered']} filtered, "
        f"{s['dlq']} failed (in the DLQ); {s['seconds']}s"
    )
    if "resolved" in s:
        text += f"\n  DLQ rows: {s['resolved']} resolved, {s['still_failing']} still failing"
    for hole in s["missing"]:
        text += f"\n  missing: {hole}"
    return text
