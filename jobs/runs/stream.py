"""The running streaming query: Kafka source, the pipeline in ``foreachBatch``, graceful stop."""

from __future__ import annotations

import logging
import threading
import time

from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from pyspark.sql.streaming import StreamingQuery

from jobs.config.stream import JobConfig
from jobs.core.batch_stats import BatchStats, RunTotals
from jobs.core.errors import InfrastructureError, JobError
from jobs.core.processor import LoadedProcessor
from jobs.core.stop_request import StopRequest
from jobs.io.checkpoint import check_checkpoint, last_planned_ms
from jobs.io.delta_commits import CLOCK_MARGIN_MS, OnceAppends
from jobs.io.group_commit import GroupCommitter
from jobs.io.kafka_source import stream_rows
from jobs.io.output_schema import resolve_output_schema
from jobs.io.sinks import KafkaTopic
from jobs.io.spark_errors import failure_message
from jobs.io.table_writes import OnceWrites
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.micro_batch import Destinations, MicroBatchPipeline
from jobs.runs.graceful_stop import GracefulStop
from jobs.runs.heartbeat import IdleHeartbeat
from jobs.runs.resume import finish_cut_short, resume_point

__all__ = ["StreamingJob", "summary_text"]

log = logging.getLogger(__name__)


class StreamingJob:
    def __init__(
        self,
        spark: SparkSession,
        config: JobConfig,
        loaded: LoadedProcessor,
        stop: StopRequest | None = None,
    ) -> None:
        self.spark = spark
        self.config = config
        self.loaded = loaded
        self.totals = RunTotals()
        self.stop = stop or StopRequest()
        self._heartbeat: IdleHeartbeat | None = None
        self._stopping = GracefulStop()
        self._batch_error: Exception | None = None
        self._query_id = threading.Event()
        self._appends: OnceAppends | None = None
        self._committer = (
            GroupCommitter(config.commit_group, config.bootstrap_servers, config.kafka_options)
            if config.commit_group
            else None
        )

    def run(self) -> RunTotals:
        c = self.config
        run = ProcessorRun(
            self.loaded.path, self.output_schema(), c.max_record_bytes, c.record_timeout or None
        )
        self.pipeline = MicroBatchPipeline(
            run,
            self.destinations(),
            writes=lambda batch_id: OnceWrites(self.appends(), batch_id),
            timezone=self.config.timezone,
            job_name=self.config.name,
            on_batch=self.after_batch,
            tolerance=c.errors_tolerance,
        )
        check_checkpoint(self.spark, self.config.checkpoint, self.config.name, self.config.topics)
        starting = (
            resume_point(self.spark, self.config, lambda rows: self.finish_cut_short(run, rows))
            if self.config.resume_from_ledger
            else None
        )
        if self.stop.reason:
            log.info("stopping (%s) before the query starts", self.stop.reason)
            return self.totals
        not_before_ms = self.not_before_ms()
        query = self.start(self.pipeline, starting or self.config.starting_offsets)
        app_id = f"{self.config.name}-{query.id}"
        self._appends = OnceAppends(app_id, not_before_ms=not_before_ms)
        self._query_id.set()
        self._heartbeat = IdleHeartbeat(query, c.heartbeat, self.broker()).start()
        try:
            self.watch(query)
        finally:
            self._heartbeat.stop()
            if self._committer:
                self._committer.close()
        return self.totals

    def broker(self) -> tuple[str, dict[str, str], float]:
        c = self.config
        return c.bootstrap_servers, c.kafka_options, c.broker_timeout

    def finish_cut_short(self, run: ProcessorRun, rows: DataFrame) -> BatchStats:
        c = self.config
        stats = finish_cut_short(rows, run, self.destinations(), c.name, c.timezone)
        self.totals.add(stats)
        return stats

    def start(self, pipeline: MicroBatchPipeline, starting_offsets: str) -> StreamingQuery:
        c = self.config
        source = stream_rows(
            self.spark,
            c.bootstrap_servers,
            c.kafka_options,
            topics=c.topics,
            topic_pattern=c.topic_pattern,
            starting_offsets=starting_offsets,
            max_offsets_per_trigger=c.max_offsets_per_trigger,
        )

        def run_batch(rows: DataFrame, batch_id: int) -> None:
            self._stopping.batch_starting()
            try:
                pipeline(rows, batch_id)
            except Exception as e:  # Spark 4.2 may lose it while stopping (StackOverflowError)
                self._batch_error = e
                raise
            finally:
                self._stopping.batch_ended()

        writer = source.writeStream.foreachBatch(run_batch)
        writer = writer.option("checkpointLocation", self.config.checkpoint)
        trigger = self.config.trigger
        if trigger.kind == "available-now":
            writer = writer.trigger(availableNow=True)
        elif trigger.kind == "once":
            writer = writer.trigger(once=True)
        else:
            writer = writer.trigger(processingTime=f"{trigger.seconds:g} seconds")
        return writer.queryName(self.config.name).start()

    def watch(self, query: StreamingQuery) -> None:
        """Wait for the end; a stop request lets the trigger in flight finish and commit."""
        stopping = self._stopping
        while True:
            if self.stop.reason and not stopping.begun:
                log.info("stopping (%s) after the running batch", self.stop.reason)
                stopping.begin(query)
            try:
                if stopping.wait(0.5) if stopping.begun else query.awaitTermination(0.5):
                    break
            except StreamingQueryException as e:
                raise self.failure(e) from None
        error = query.exception() or self._batch_error
        if error is not None:
            raise self.failure(error)

    def failure(self, error: BaseException) -> JobError:
        """The batch's own ``JobError`` (one line, e.g. errors not tolerated) when it raised
        one; else the query's failure without the JVM stack."""
        if isinstance(self._batch_error, JobError):
            return self._batch_error
        return InfrastructureError(failure_message(error))

    def after_batch(self, stats: BatchStats) -> None:
        self.totals.add(stats)
        log.info("%s", stats.log_line())
        if self._heartbeat:
            self._heartbeat.batch_done(stats)
        if self._committer:
            self._committer.commit(stats)
        stop_at = self.config.stop_at_offsets
        if stop_at and self.totals.reached(stop_at):
            self.stop.ask("--stop-at-offsets reached")

    def appends(self) -> OnceAppends:
        """The table appends of this query run, tagged with ``--name`` and the query's id (kept
        in the checkpoint, so a restart tags as the run it replays)."""
        if not self._query_id.wait(60) or self._appends is None:
            raise InfrastructureError("the streaming query did not report its id within 60s")
        return self._appends

    def not_before_ms(self) -> int:
        """No batch this run writes can have been committed to a table before this instant:
        the newest batch of the checkpoint was planned then (a new checkpoint: now)."""
        planned = last_planned_ms(self.spark, self.config.checkpoint)
        return (planned if planned is not None else int(time.time() * 1000)) - CLOCK_MARGIN_MS

    def output_schema(self) -> T.StructType:
        c = self.config
        return resolve_output_schema(
            self.spark, self.loaded, check_reserved=bool(c.output_path or not c.output_topic)
        )

    def destinations(self) -> Destinations:
        c = self.config

        def topic(name: str | None, headers: str = "dlq") -> KafkaTopic | None:
            return KafkaTopic(name, c.bootstrap_servers, c.kafka_options, headers) if name else None

        return Destinations(
            c.backup_path,
            c.dlq_path,
            c.output_path,
            c.ledger_path,
            topic(c.output_topic),
            topic(c.dlq_topic, c.dlq_topic_headers),
        )


def summary_text(summary: dict, config: JobConfig) -> str:
    lines = [
        f"{config.name}: {summary['read']} records read in {summary['batches']} batches, "
        f"{summary['output']} output rows, {summary['filtered']} filtered, "
        f"{summary['dlq']} sent to the DLQ; {summary['seconds']}s in all, "
        f"{summary['batch_seconds']}s in batches ({summary['records_per_second']} records/s)",
        f"  backup: {config.backup_path}",
        f"  dlq:    {config.dlq_path}",
    ]
    if config.output_path or config.output_topic:
        lines.append(f"  output: {config.output_path or 'topic ' + str(config.output_topic)}")
    return "\n".join(lines)
