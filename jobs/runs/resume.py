"""``--resume-from-ledger``: where a stream whose checkpoint is gone starts again.

The ledger row of a batch is written last, after its backup, output and DLQ commits. So the
ledger's end offsets are where every table is complete; records in the backup past them
belong to a batch that was cut short. Those are finished first with writes keyed by record
(whatever that batch had already written is not written twice), and the stream starts after
them. Partitions the job never read start from earliest, unless ``--starting-offsets latest``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession

from jobs.config.stream import JobConfig
from jobs.core.batch_stats import BatchStats
from jobs.core.ledger import RESUME
from jobs.core.offsets import starting_offsets
from jobs.io.checkpoint import checkpoint_has_offsets
from jobs.io.kafka_offsets import broker_offsets
from jobs.io.table_writes import KeyedWrites
from jobs.io.tables import as_kafka_rows, backup_ends, ledger_ends, unrecorded
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.micro_batch import Destinations, MicroBatchPipeline

__all__ = ["finish_cut_short", "resume_point"]

log = logging.getLogger(__name__)


def resume_point(
    spark: SparkSession, c: JobConfig, finish: Callable[[DataFrame], BatchStats]
) -> str | None:
    """``--resume-from-ledger``: None when the checkpoint has offsets (Spark resumes from
    it); else finish a batch cut short, and start where the ledger and backup end."""
    if checkpoint_has_offsets(spark, c.checkpoint):
        log.info("--resume-from-ledger: the checkpoint has offsets; Spark resumes from it")
        return None
    ends = ledger_ends(spark, c.ledger_path, c.name, c.topics)
    cut_short = unrecorded(spark, c.backup_path, c.topics, ends)
    if cut_short is not None and not cut_short.isEmpty():
        stats = finish(cut_short)
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


def finish_cut_short(
    rows: DataFrame, run: ProcessorRun, destinations: Destinations, job_name: str, timezone: str
) -> BatchStats:
    """The backed-up records of a batch cut short, through the pipeline with writes keyed by
    record: what that batch had already written is not written twice."""
    run_id = f"{job_name}-resume-{uuid.uuid4().hex[:8]}"
    recovery = MicroBatchPipeline(
        run,
        destinations,
        writes=lambda _: KeyedWrites(run_id, retry_failures=False),
        timezone=timezone,
        job_name=job_name,
        mode=RESUME,
        backup="is-source",
    )
    return recovery.process(as_kafka_rows(rows), 0)
