"""One run of table maintenance: plan per table, drop expired hours, compact closed hours,
vacuum. Each step is one Delta commit, retried when the stream committed to the same table in
between (``jobs.table_writes.with_retries``); OPTIMIZE only rearranges files, so the stream's
appends never conflict with it."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.config.maintain import MaintainConfig, TableSpec
from jobs.core.maintenance_plan import Hour, TablePlan, closed, expired, hours_predicate
from jobs.core.maintenance_report import HourResult, TableResult, size
from jobs.io.table_writes import with_retries
from jobs.io.tables import read_table

__all__ = ["maintain", "plan_table"]

log = logging.getLogger(__name__)
WHOLE_TABLE = Hour("*", "*")
RETRIES = 8
LISTING = "spark.sql.sources.parallelPartitionDiscovery.parallelism"


def maintain(spark: SparkSession, config: MaintainConfig, now: datetime | None = None):
    """Every table of ``config``, one after the other; the results, for the summary."""
    now = now or datetime.now(UTC)
    if config.vacuum:
        size_listing(spark)
    results = []
    for spec in config.tables:
        plan = plan_table(spark, spec, config, now)
        log.info(
            "%s: %d closed hours to compact, %d expired hours to drop, %d hours still open",
            spec.name,
            len(plan.compact),
            len(plan.drop),
            plan.kept_open,
        )
        result = TableResult(plan)
        if not config.dry_run:
            result.dropped_rows = drop(spark, plan)
            result.compacted = [compact(spark, spec, plan, hour) for hour in plan.compact]
        if config.vacuum:
            result.vacuumed_files = vacuum(spark, spec.path, config.dry_run)
        results.append(result)
    return results


def plan_table(spark: SparkSession, spec: TableSpec, config: MaintainConfig, now) -> TablePlan:
    files = files_per_hour(spark, spec)
    hours = [h for h in files if h != WHOLE_TABLE]
    shut = closed(hours, config.timezone, now, config.grace)
    drop = expired(hours, config.timezone, now, spec.retention)
    if not spec.partitioned:
        whole = files.get(WHOLE_TABLE, (0, 0))[0]
        compact = {WHOLE_TABLE: whole} if whole > 1 else {}
    else:
        compact = {h: files[h][0] for h in shut if files[h][0] > 1 and h not in drop}
    return TablePlan(spec.name, spec.path, compact, tuple(drop), len(hours) - len(shut))


def files_per_hour(
    spark: SparkSession, spec: TableSpec, hours: list[Hour] | None = None
) -> dict[Hour, tuple[int, int]]:
    """Files and bytes per hour partition (the whole table under ``WHOLE_TABLE`` for the
    ledger, whose files mix hours), from the files Delta's current version refers to."""
    table = read_table(spark, spec.path, spec.flag)
    if hours:
        table = table.where(hours_predicate(hours))
    files = table.select(
        "date", "hour", F.col("_metadata.file_path").alias("file"), "_metadata.file_size"
    ).distinct()
    if not spec.partitioned:
        total = files.select("file", "file_size").distinct()
        row = total.agg(F.count("*").alias("n"), F.sum("file_size").alias("b")).first()
        counts = {WHOLE_TABLE: (row["n"], row["b"] or 0)}
        hour_rows = files.select("date", "hour").distinct().collect()
        return {**counts, **{Hour(r["date"], r["hour"]): (0, 0) for r in hour_rows}}
    grouped = files.groupBy("date", "hour").agg(
        F.count("*").alias("files"), F.sum("file_size").alias("bytes")
    )
    return {Hour(r["date"], r["hour"]): (r["files"], r["bytes"]) for r in grouped.collect()}


def drop(spark: SparkSession, plan: TablePlan) -> int:
    """Delete the expired hours: whole files of whole partitions, no rewrite (the ledger's
    matching rows are rewritten out of their files). The number of rows deleted."""
    if not plan.drop:
        return 0
    statement = f"DELETE FROM delta.`{plan.path}` WHERE {hours_predicate(list(plan.drop))}"
    done = with_retries(plan.path, lambda: spark.sql(statement).first(), attempts=RETRIES)
    rows = int(done[0]) if done is not None else 0
    log.info("%s: dropped %d rows of %d expired hours", plan.table, rows, len(plan.drop))
    return rows


def compact(spark: SparkSession, spec: TableSpec, plan: TablePlan, hour: Hour) -> HourResult:
    began = time.monotonic()
    hours = None if hour == WHOLE_TABLE else [hour]
    before = files_per_hour(spark, spec, hours)[hour]
    optimize = DeltaTable.forPath(spark, plan.path).optimize()
    if hours:
        optimize = optimize.where(hours_predicate(hours))
    done = with_retries(plan.path, lambda: optimize.executeCompaction().first(), attempts=RETRIES)
    after = compacted(before, done["metrics"])
    result = HourResult(
        "whole table" if hour == WHOLE_TABLE else str(hour),
        before[0],
        after[0],
        before[1],
        after[1],
        time.monotonic() - began,
    )
    log.info(
        "%s %s: %d files (%s) -> %d (%s) in %.1fs",
        plan.table,
        result.hour,
        result.files_before,
        size(result.bytes_before),
        result.files_after,
        size(result.bytes_after),
        result.seconds,
    )
    return result


def compacted(before: tuple[int, int], metrics) -> tuple[int, int]:
    """Files and bytes of the hour once OPTIMIZE has rewritten it, from OPTIMIZE's own metrics:
    files the stream appended to the hour meanwhile are not the compaction's to count."""
    removed, added = metrics["filesRemoved"], metrics["filesAdded"]
    files = before[0] - metrics["numFilesRemoved"] + metrics["numFilesAdded"]
    total = before[1] - removed["totalSize"] + added["totalSize"]
    return max(files, metrics["numFilesAdded"]), max(total, added["totalSize"])


def vacuum(spark: SparkSession, path: str, dry_run: bool) -> int:
    """Files no version within the table's retention refers to; deleted unless ``dry_run``.
    The retention is the table's own (``delta.deletedFileRetentionDuration``, 7 days by
    default): a reader of an older version, or a stream's write in flight, keeps its files."""
    found = spark.sql(f"VACUUM delta.`{path}` DRY RUN").count()
    if not dry_run and found:
        with_retries(path, lambda: DeltaTable.forPath(spark, path).vacuum(), attempts=RETRIES)
    log.info("%s: vacuum %s %d files", path, "would delete" if dry_run else "deleted", found)
    return found


def size_listing(spark: SparkSession) -> None:
    """VACUUM lists the table's folders in as many Spark tasks as ``LISTING`` says, 10 000 by
    Spark's default: minutes of task overhead per VACUUM on a few cores, whatever the table's
    size. Unless set explicitly, two tasks per core of the session."""
    if spark.sparkContext.getConf().contains(LISTING):
        return
    spark.conf.set(LISTING, str(2 * spark.sparkContext.defaultParallelism))
