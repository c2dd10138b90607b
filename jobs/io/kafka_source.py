"""Spark's Kafka source read in batch: the records of some offset ranges, for replays and the
audit's comparison with the broker."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession

from jobs.core.replay_plan import OffsetRange


def kafka_rows(
    spark: SparkSession,
    bootstrap_servers: str,
    kafka_options: dict[str, str],
    chunk: list[OffsetRange],
) -> DataFrame:
    """The records of ``chunk``'s offset ranges, read in one Spark batch query."""
    assign: dict[str, list[int]] = {}
    starting: dict[str, dict[str, int]] = {}
    ending: dict[str, dict[str, int]] = {}
    for r in chunk:
        assign.setdefault(r.topic, []).append(r.partition)
        starting.setdefault(r.topic, {})[str(r.partition)] = r.start
        ending.setdefault(r.topic, {})[str(r.partition)] = r.end
    reader = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("assign", json.dumps(assign))
        .option("startingOffsets", json.dumps(starting))
        .option("endingOffsets", json.dumps(ending))
        .option("includeHeaders", "true")
    )
    for key, value in kafka_options.items():
        reader = reader.option(f"kafka.{key}", value)
    return reader.load()
