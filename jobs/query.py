"""The running streaming query: Kafka source, the pipeline in ``foreachBatch``, graceful stop."""

from __future__ import annotations

import logging
import threading
import uuid

from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from pyspark.sql.streaming import StreamingQuery

from jobs.apply import ProcessorRun
from jobs.batch_stats import BatchStats, RunTotals
from jobs.checkpoint_guard import check_checkpoint
from jobs.config import JobConfig
from jobs.core.stop_request import StopRequest
from jobs.errors import InfrastructureError
from jobs.group_commit import GroupCommitter
from jobs.kafka_offsets import broker_offsets
from jobs.output_schema import resolve_output_schema
from jobs.pipeline import Destinations, MicroBatchPipeline
from jobs.processor import LoadedProcessor
from jobs.replay_sources import as_kafka_rows
from jobs.resume import (
    backup_ends,
    checkpoint_has_offsets,
    ledger_ends,
    starting_offsets,
    unrecorded,
)
from jobs.runs.graceful_stop import GracefulStop
from jobs.runs.heartbeat import IdleHeartbeat
from jobs.sinks import KafkaTopic
from jobs.table_writes import KeyedWrites, TxnWrites

log = logging.getLogger("jobs.stream")


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
        self._app_id = ""
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
            writes=lambda batch_id: TxnWrites(self.app_id(), batch_id),
            zone=self.config.timezone,
            job_name=self.config.name,
            on_batch=self.after_batch,
        )
        check_checkpoint(self.spark, self.config)
        starting = self.resume_point(run) if self.config.resume_from_ledger else None
        if self.stop.reason:
            log.info("stopping (%s) before the query starts", self.stop.reason)
            return self.totals
        query = self.start(self.pipeline, starting or self.config.starting_offsets)
        self._app_id = f"{self.config.name}-{query.id}"
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

    def resume_point(self, run: ProcessorRun) -> str | None:
        """``--resume-from-ledger``: None when the checkpoint has offsets (Spark resumes from
        it); else finish a batch cut short, and start where the ledger and backup end."""
        c = self.config
        if checkpoint_has_offsets(self.spark, c.checkpoint):
            log.info("--resume-from-ledger: the checkpoint has offsets; Spark resumes from it")
            return None
        ends = ledger_ends(self.spark, c.ledger_path, c.name, c.topics)
        cut_short = unrecorded(self.spark, c.backup_path, c.topics, ends)
        if cut_short is not None and not cut_short.isEmpty():
            stats = self.finish_cut_short(run, cut_short)
            log.info("--resume-from-ledger: finished %d backed-up records", stats.read)
            for tp, end in backup_ends(cut_short).items():
                ends[tp] = max(ends.get(tp, 0), end)
        with broker_offsets(c.bootstrap_servers, c.kafka_options, c.broker_timeout) as broker:
            partitions = broker.partitions(list(c.topics))
            earliest = broker.earliest(partitions)
        unknown_from = "latest" if c.starting_offsets == "latest" else "earliest"
        spec = starting_offsets(partitions, ends, earliest, unknown_from=unknown_from)
        log.info("--resume-from-ledger: no checkpoint offsets; starting at %s", spec)
        return spec

    def finish_cut_short(self, run: ProcessorRun, rows: DataFrame) -> BatchStats:
        c = self.config
        run_id = f"{c.name}-resume-{uuid.uuid4().hex[:8]}"
        recovery = MicroBatchPipeline(
            run,
            self.destinations(),
            writes=lambda _: KeyedWrites(run_id, retry_failures=False),
            zone=c.timezone,
            job_name=c.name,
            mode="resume",
            backup="is-source",
        )
        stats = recovery.process(as_kafka_rows(rows), 0)
        self.totals.add(stats)
        return stats

    def start(self, pipeline: MicroBatchPipeline, starting_offsets: str) -> StreamingQuery:
        def run_batch(rows: DataFrame, batch_id: int) -> None:
            self._stopping.batch_starting()
            try:
                pipeline(rows, batch_id)
            except Exception as e:  # Spark 4.2 may lose it while stopping (StackOverflowError)
                self._batch_error = e
                raise

        writer = self.source(starting_offsets).writeStream.foreachBatch(run_batch)
        writer = writer.option("checkpointLocation", self.config.checkpoint)
        trigger = self.config.trigger
        if trigger.kind == "available-now":
            writer = writer.trigger(availableNow=True)
        elif trigger.kind == "once":
            writer = writer.trigger(once=True)
        else:
            writer = writer.trigger(processingTime=f"{trigger.seconds:g} seconds")
        return writer.queryName(self.config.name).start()

    def source(self, starting_offsets: str) -> DataFrame:
        c = self.config
        reader = self.spark.readStream.format("kafka")
        reader = reader.option("kafka.bootstrap.servers", c.bootstrap_servers)
        if c.topics:
            reader = reader.option("subscribe", ",".join(c.topics))
        else:
            reader = reader.option("subscribePattern", c.topic_pattern)
        reader = reader.option("startingOffsets", starting_offsets)
        reader = reader.option("includeHeaders", "true")
        if c.max_offsets_per_trigger:
            reader = reader.option("maxOffsetsPerTrigger", c.max_offsets_per_trigger)
        for key, value in c.kafka_options.items():
            reader = reader.option(f"kafka.{key}", value)
        return reader.load()

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
                raise InfrastructureError(failure_message(e)) from None
        error = query.exception() or self._batch_error
        if error is not None:
            raise InfrastructureError(failure_message(error))

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

    def app_id(self) -> str:
        if not self._query_id.wait(60):
            raise InfrastructureError("the streaming query did not report its id within 60s")
        return self._app_id

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


def failure_message(error: BaseException) -> str:
    """The first lines of a query failure, without the JVM stack."""
    text = getattr(error, "desc", None) or str(error)
    lines = [
        line for line in str(text).splitlines() if line.strip() and not line.startswith("\tat ")
    ]
    return "the streaming query failed: " + "\n".join(lines[:6])
