"""``--resume-from-ledger``: where a stream whose checkpoint is gone starts again.

The ledger row of a batch is written last, after its backup, output and DLQ commits. So the
ledger's end offsets are where every table is complete; records in the backup past them
belong to a batch that was cut short. Those are finished first with writes keyed by record
(whatever that batch had already written is not written twice), and the stream starts after
them. Partitions the job never read start from earliest, unless ``--starting-offsets latest``.
"""

from __future__ import annotations

import json

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.checkpoint_guard import HadoopFiles
from jobs.core.errors import InfrastructureError

TopicPartition = tuple[str, int]
RESUMING_MODES = ("stream", "resume")


def checkpoint_has_offsets(spark: SparkSession, checkpoint: str) -> bool:
    """True when Spark would resume from the checkpoint (its offset log has an entry)."""
    return any(name.isdecimal() for name in HadoopFiles(spark, checkpoint).names("offsets"))


def ledger_ends(
    spark: SparkSession, ledger_path: str, job_name: str, topics: tuple[str, ...]
) -> dict[TopicPartition, int]:
    """Per topic-partition, one past the last offset the job's stream fully recorded."""
    if not DeltaTable.isDeltaTable(spark, ledger_path):
        return {}
    rows = (
        spark.read.format("delta")
        .load(ledger_path)
        .where(
            (F.col("job_name") == job_name)
            & F.col("mode").isin(list(RESUMING_MODES))
            & F.col("topic").isin(list(topics))
        )
        .groupBy("topic", "partition")
        .agg(F.max("last_offset").alias("last"))
        .collect()
    )
    return {(r["topic"], r["partition"]): r["last"] + 1 for r in rows}


def unrecorded(
    spark: SparkSession, backup_path: str, topics: tuple[str, ...], ends: dict[TopicPartition, int]
) -> DataFrame | None:
    """Backup rows of ``topics`` at or past the ledger's end offsets (all rows of partitions
    the ledger does not know)."""
    if not DeltaTable.isDeltaTable(spark, backup_path):
        return None
    backup = spark.read.format("delta").load(backup_path).where(F.col("topic").isin(list(topics)))
    past_end = F.lit(True)
    if ends:
        known = spark.createDataFrame(
            [(t, p, e) for (t, p), e in ends.items()], "topic STRING, partition INT, end LONG"
        )
        backup = backup.join(F.broadcast(known), ["topic", "partition"], "left")
        past_end = F.col("end").isNull() | (F.col("offset") >= F.col("end"))
    return backup.where(past_end).drop("end").dropDuplicates(["topic", "partition", "offset"])


def backup_ends(rows: DataFrame) -> dict[TopicPartition, int]:
    found = rows.groupBy("topic", "partition").agg(F.max("offset").alias("last")).collect()
    return {(r["topic"], r["partition"]): r["last"] + 1 for r in found}


def starting_offsets(
    partitions: list[TopicPartition],
    resume_at: dict[TopicPartition, int],
    earliest: dict[TopicPartition, int],
    *,
    unknown_from: str = "earliest",
) -> str:
    """Spark's ``startingOffsets`` JSON for every partition (Spark wants all of them).

    Fails when Kafka no longer holds where the job stopped: those records were never
    processed, and starting later would hide that.
    """
    default = -1 if unknown_from == "latest" else -2
    spec: dict[str, dict[str, int]] = {}
    for topic, partition in partitions:
        offset = resume_at.get((topic, partition), default)
        if offset >= 0 and offset < earliest[(topic, partition)]:
            raise InfrastructureError(
                f"--resume-from-ledger: {topic}[{partition}] stopped at offset {offset}, but "
                f"Kafka now starts at {earliest[(topic, partition)]}: records in between were "
                "never processed and are gone. Start explicitly with --starting-offsets "
                "once that is accepted"
            )
        spec.setdefault(topic, {})[str(partition)] = offset
    return json.dumps(spec)
