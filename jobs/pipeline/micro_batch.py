"""The ``foreachBatch`` function: one micro-batch from Kafka rows to every table.

The steps overlap where they do not depend on each other (``jobs.pipeline.steps``): the backup
beside the processor (a processor bug can never lose raw data: the batch fails, and its replay
writes the backup), output beside DLQ; the ledger last, once every table has the batch. In the
stream each Delta append is tagged with the query's app id and the batch id, so when Spark
replays a batch after a crash, tables that already have it skip the write; replays run the same
steps with writes keyed by source record (``jobs.io.table_writes``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pyspark import StorageLevel, inheritable_thread_target
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.core.batch_stats import BatchCounts, BatchStats, PartitionStats
from jobs.core.columns import (
    BACKUP_COLUMNS,
    DLQ_COLUMNS,
    RECORD_KEY,
    SOURCE_COLUMNS,
    STATUS_ERROR,
    STATUS_OK,
)
from jobs.core.error_tolerance import TOLERATE_ALL, ErrorCounts, ErrorTolerance
from jobs.core.faults import crash_point
from jobs.core.ledger import STREAM, LedgerEntry, ledger_rows
from jobs.io.schemas import LEDGER_SCHEMA, processed_schema
from jobs.io.sinks import KafkaTopic, as_json_records, with_error_headers
from jobs.io.spark_errors import is_worker_death
from jobs.io.table_writes import KeyedWrites, OnceWrites
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.apply_sql import in_the_jvm
from jobs.pipeline.batch_counts import count_batch
from jobs.pipeline.poison import PoisonIsolation, covering_exactly, crash_rows
from jobs.pipeline.stamp import stamp
from jobs.pipeline.steps import Steps

__all__ = ["Destinations", "MicroBatchPipeline", "TableWrites"]

TableWrites = OnceWrites | KeyedWrites

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Destinations:
    backup_path: str
    dlq_path: str
    output_path: str | None = None
    ledger_path: str | None = None
    output_topic: KafkaTopic | None = None
    dlq_topic: KafkaTopic | None = None


class MicroBatchPipeline:
    """Callable given to ``foreachBatch``, and the core of every replay.

    ``writes`` gives the table writes of a batch: ``OnceWrites`` for the stream (idempotent per
    batch id), ``KeyedWrites`` for replays (idempotent per source record). ``backup`` says
    whether the batch is archived here (``write``), already comes from the archive
    (``is-source``) or is not archived by this run (``skip``).
    """

    def __init__(
        self,
        run: ProcessorRun,
        destinations: Destinations,
        *,
        writes: Callable[[int], TableWrites],
        timezone: str = "UTC",
        job_name: str = "kafka-stream",
        mode: str = STREAM,
        backup: Literal["write", "is-source", "skip"] = "write",
        on_batch: Callable[[BatchStats], None] = lambda stats: None,
        tolerance: ErrorTolerance = TOLERATE_ALL,
    ) -> None:
        self.run = run
        self.to = destinations
        self.writes = writes
        self.timezone = timezone
        self.job_name = job_name
        self.mode = mode
        self.backup = backup
        self.on_batch = on_batch
        self.sql = in_the_jvm(run)
        self.tolerance = tolerance

    def __call__(self, kafka_rows: DataFrame, batch_id: int) -> None:
        stats = self.process(kafka_rows, batch_id)
        crash_point("before-checkpoint", batch_id)
        self.on_batch(stats)

    def process(self, kafka_rows: DataFrame, batch_id: int) -> BatchStats:
        """backup ∥ (process → output ∥ DLQ), then the ledger: a failure in any step raises
        once every step has ended, before the ledger and Spark's checkpoint commit."""
        began, started_at = time.monotonic(), datetime.now(UTC)
        steps = Steps()
        writes = self.writes(batch_id)
        rows = stamp(kafka_rows, batch_id, self.timezone).persist(StorageLevel.MEMORY_AND_DISK)
        processed: list[DataFrame] = []
        try:
            with ThreadPoolExecutor(2, thread_name_prefix=f"batch-{batch_id}") as pool:
                # each step's thread runs in the batch's job group and with its tags
                step = inheritable_thread_target(rows.sparkSession)(steps.run)
                backup = pool.submit(step, "backup", self.write_backup, rows, writes, batch_id)
                try:
                    partitions = self.process_and_write(
                        rows, writes, batch_id, pool, steps, processed, step
                    )
                finally:
                    steps.settle([backup])
            if self.to.ledger_path and partitions:
                ledger = (kafka_rows.sparkSession, batch_id, partitions, started_at, writes)
                steps.run("ledger", self.write_ledger, *ledger)
        finally:
            for cached in (rows, *processed):
                cached.unpersist()
        return BatchStats(batch_id, tuple(partitions), time.monotonic() - began, steps.seconds)

    def process_and_write(
        self,
        rows: DataFrame,
        writes: TableWrites,
        batch_id: int,
        pool: ThreadPoolExecutor,
        steps: Steps,
        cached: list[DataFrame],
        step: Callable,
    ) -> list[PartitionStats]:
        """The processor, then output (another thread) beside the DLQ (this one)."""
        processed, counts = steps.run("process", self.run_processor, rows, batch_id)
        cached.append(processed)
        partitions = list(counts.partitions)
        self.check_errors(counts, batch_id)
        output = pool.submit(
            step, "output", self.output_step, processed, partitions, writes, batch_id
        )
        try:
            steps.run("dlq", self.dlq_step, processed, partitions, writes, batch_id)
        finally:
            steps.settle([output])
        return partitions

    def write_backup(self, rows: DataFrame, writes: TableWrites, batch_id: int) -> None:
        if self.backup == "write":
            writes.backup(rows.select(*BACKUP_COLUMNS), self.to.backup_path)
        crash_point("after-backup", batch_id)

    def output_step(
        self, processed: DataFrame, partitions: list, writes: TableWrites, batch_id: int
    ) -> None:
        if any(p.output for p in partitions):
            self.write_output(processed.where(F.col("status") == STATUS_OK), writes)
        crash_point("after-output", batch_id)

    def dlq_step(
        self, processed: DataFrame, partitions: list, writes: TableWrites, batch_id: int
    ) -> None:
        if any(p.dlq for p in partitions):
            self.write_dlq(processed.where(F.col("status") == STATUS_ERROR), writes)
        writes.resolve(succeeded(processed), self.to.dlq_path)
        crash_point("after-dlq", batch_id)

    def run_processor(self, rows: DataFrame, batch_id: int) -> tuple[DataFrame, BatchCounts]:
        """The processed batch (cached) and its counts: in the JVM for a ``@sql_processor``,
        else in Python workers, where records that kill the worker are isolated and sent to
        the DLQ as ``WorkerCrash`` (``jobs.pipeline.poison``)."""
        if self.sql is not None:
            processed = self.sql(rows).persist(StorageLevel.MEMORY_AND_DISK)
            return processed, count_batch(processed)
        schema = processed_schema(self.run.output_schema)
        processed = rows.mapInArrow(self.run, schema).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            return processed, count_batch(processed)
        except Exception as e:
            processed.unpersist()
            if not is_worker_death(e):
                raise
        isolation = PoisonIsolation(lambda part: part.mapInArrow(self.run, schema))
        poison = isolation.suspects(rows, batch_id)
        healthy = rows.where(~covering_exactly(poison)).mapInArrow(self.run, schema)
        processed = healthy.unionByName(crash_rows(rows, poison, schema))
        processed = processed.persist(StorageLevel.MEMORY_AND_DISK)
        return processed, count_batch(processed)

    def check_errors(self, counts: BatchCounts, batch_id: int) -> None:
        """One WARN line per batch with DLQ rows; ``ErrorsNotTolerated`` (before the batch's
        output and DLQ are written) when they pass ``--errors-tolerance``."""
        if not counts.errors:
            return
        read = sum(p.read for p in counts.partitions)
        errors = ErrorCounts(batch_id, read, counts.errors, counts.samples)
        log.warning("%s", errors.warn_line())
        if self.tolerance.exceeded(errors.read, errors.dlq):
            raise errors.not_tolerated(self.tolerance)

    def write_ledger(
        self,
        spark,
        batch_id: int,
        partitions: list[PartitionStats],
        started_at: datetime,
        writes: TableWrites,
    ) -> None:
        entry = LedgerEntry(self.job_name, self.mode, writes.run_id, self.backup != "skip")
        rows = ledger_rows(
            batch_id, partitions, entry, started_at=started_at, ended_at=datetime.now(UTC)
        )
        writes.ledger(spark.createDataFrame(rows, LEDGER_SCHEMA), self.to.ledger_path)

    def write_output(self, ok_rows: DataFrame, writes: TableWrites) -> None:
        names = self.run.output_schema.fieldNames()
        if self.to.output_path:
            source = [F.col(k).alias(v) for k, v in SOURCE_COLUMNS.items()]
            table = ok_rows.select(
                *[F.col(f"output.{n}").alias(n) for n in names],
                *source,
                F.col("output_index").alias("source_index"),
                "date",
                "hour",
            )
            writes.output(table, self.to.output_path)
        if self.to.output_topic:
            flat = ok_rows.select("key", *[F.col(f"output.{n}").alias(n) for n in names])
            self.to.output_topic.write(as_json_records(flat, names))

    def write_dlq(self, failed_rows: DataFrame, writes: TableWrites) -> None:
        dlq = failed_rows.select(
            "*",
            F.lit(self.run.processor_path).alias("processor"),
            F.lit(1).alias("attempts"),
            F.lit(None).cast("timestamp").alias("resolved_at"),
            F.lit(None).cast("string").alias("resolved_by"),
        ).select(*DLQ_COLUMNS)
        writes.dlq(dlq, self.to.dlq_path)
        if self.to.dlq_topic:
            topic = self.to.dlq_topic
            topic.write(with_error_headers(dlq, topic.error_headers, self.job_name))


def succeeded(processed: DataFrame) -> DataFrame:
    """Coordinates of the records that produced output or were filtered."""
    return (
        processed.where(F.col("status") != STATUS_ERROR)
        .select(*RECORD_KEY, "date", "hour")
        .distinct()
    )
