"""Spark's ceilings: its Kafka source into the ``noop`` sink, and into a backup-only Delta table.

Same source options as the job (earliest, headers, the same ``maxOffsetsPerTrigger``), trigger
available-now, so the only difference from the job is the work done per micro-batch.
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from benchmarks.progress import ProgressRecorder
from jobs.pipeline.stamp import stamp


def kafka_source(spark: SparkSession, bootstrap: str, topic: str, batch_records: int) -> DataFrame:
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
        .option("maxOffsetsPerTrigger", batch_records)
        .load()
    )


def backup_columns(rows: DataFrame) -> DataFrame:
    """The backup table's columns, stamped as the job stamps them (no batch id: no batch)."""
    return stamp(rows, 0, "UTC").drop("batch_id")


def run_noop(
    spark: SparkSession,
    recorder: ProgressRecorder,
    *,
    bootstrap: str,
    topic: str,
    batch_records: int,
    workdir: Path,
) -> dict:
    source = kafka_source(spark, bootstrap, topic, batch_records)
    writer = source.writeStream.format("noop")
    return _run(writer, recorder, workdir)


def run_delta_backup(
    spark: SparkSession,
    recorder: ProgressRecorder,
    *,
    bootstrap: str,
    topic: str,
    batch_records: int,
    workdir: Path,
) -> dict:
    rows = backup_columns(kafka_source(spark, bootstrap, topic, batch_records))
    writer = rows.writeStream.format("delta").partitionBy("date", "hour")
    writer = writer.option("path", str(workdir / "backup"))
    return _run(writer, recorder, workdir)


def _run(writer, recorder: ProgressRecorder, workdir: Path) -> dict:
    progress = recorder.reset()
    writer = writer.option("checkpointLocation", str(workdir / "checkpoint"))
    query = writer.trigger(availableNow=True).start()
    query.awaitTermination()
    progress.terminated.wait(30)
    return {
        "records": progress.rows,
        "seconds": progress.wall_seconds(),
        "batches": len(progress.batches),
        "progress": progress.batches,
    }
