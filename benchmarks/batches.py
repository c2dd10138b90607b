"""The bench's records as a stamped micro-batch, without a broker: for side-by-side probes of
single steps (appends, the processor) on the same rows the job would see."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from benchmarks.data import bench_records, data_start
from jobs.demo.sample_data import SampleRecord
from jobs.pipeline.stamp import stamp

HEADERS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
KAFKA_SCHEMA = pa.schema(
    [
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("timestampType", pa.int32()),
        ("headers", HEADERS),
    ]
)


def records(count: int, *, value_bytes: int = 1024, hours: int = 3) -> list[SampleRecord]:
    """The bench's data set (``benchmarks.data``): ~1 KiB JSON events, 5 % bad of six kinds."""
    start = data_start(hours)
    return bench_records(
        count, value_bytes=value_bytes, bad_fraction=0.05, hours=hours, start=start
    )


def kafka_rows(spark: SparkSession, found: list[SampleRecord], partitions: int = 6) -> DataFrame:
    """The records as Spark's Kafka source delivers them (round-robin over ``partitions``)."""
    n = len(found)
    table = pa.table(
        {
            "key": pa.array([r.key for r in found], pa.binary()),
            "value": pa.array([r.value for r in found], pa.binary()),
            "topic": pa.array(["bench"] * n),
            "partition": pa.array([i % partitions for i in range(n)], pa.int32()),
            "offset": pa.array([i // partitions for i in range(n)], pa.int64()),
            "timestamp": pa.array([r.timestamp_ms * 1000 for r in found], pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "timestampType": pa.array([0] * n, pa.int32()),
            "headers": pa.nulls(n, HEADERS),
        },
        schema=KAFKA_SCHEMA,
    )
    return spark.createDataFrame(table)


def stamped(kafka: DataFrame, batch_id: int = 0) -> DataFrame:
    """The job's stamped batch (``jobs.pipeline.stamp``), cached as the pipeline caches it."""
    cached = stamp(kafka, batch_id, "UTC").persist(StorageLevel.MEMORY_AND_DISK)
    cached.count()
    return cached


@dataclass(frozen=True)
class Measured:
    seconds: float
    jobs: int


def measure(spark: SparkSession, label: str, action: Callable[[], object]) -> Measured:
    """Wall seconds and Spark jobs of ``action`` (jobs of this thread's group, and jobs
    started meanwhile by Delta's own threads, which carry no group)."""
    sc = spark.sparkContext
    tracker = sc.statusTracker()
    ungrouped = set(tracker.getJobIdsForGroup(None))
    sc.setJobGroup(label, label)
    began = time.monotonic()
    try:
        action()
    finally:
        seconds = time.monotonic() - began
        sc._jsc.clearJobGroup()
    grouped = len(tracker.getJobIdsForGroup(label))
    extra = len(set(tracker.getJobIdsForGroup(None)) - ungrouped)
    return Measured(seconds, grouped + extra)
