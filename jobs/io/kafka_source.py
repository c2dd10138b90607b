"""Spark's Kafka connector: the stream's source, the batch read of offset ranges (replays, the
audit's comparison with the broker), and the client options every Kafka read and write takes."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession

from jobs.core.replay_plan import OffsetRange

__all__ = ["kafka_rows", "spark_kafka_options", "stream_rows"]


def spark_kafka_options(bootstrap_servers: str, kafka_options: dict[str, str]) -> dict[str, str]:
    """The brokers and every client option, with the ``kafka.`` prefix Spark's connector wants."""
    return {
        "kafka.bootstrap.servers": bootstrap_servers,
        **{f"kafka.{key}": value for key, value in kafka_options.items()},
    }


def stream_rows(
    spark: SparkSession,
    bootstrap_servers: str,
    kafka_options: dict[str, str],
    *,
    topics: tuple[str, ...],
    topic_pattern: str | None,
    starting_offsets: str,
    max_offsets_per_trigger: int | None,
) -> DataFrame:
    """The stream's source: ``topics``, or every topic matching ``topic_pattern``."""
    reader = spark.readStream.format("kafka").options(
        **spark_kafka_options(bootstrap_servers, kafka_options)
    )
    if topics:
        reader = reader.option("subscribe", ",".join(topics))
    else:
        reader = reader.option("subscribePattern", topic_pattern)
    reader = reader.option("startingOffsets", starting_offsets).option("includeHeaders", "true")
    if max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", max_offsets_per_trigger)
    return reader.load()


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
    return (
        spark.read.format("kafka")
        .options(**spark_kafka_options(bootstrap_servers, kafka_options))
        .option("assign", json.dumps(assign))
        .option("startingOffsets", json.dumps(starting))
        .option("endingOffsets", json.dumps(ending))
        .option("includeHeaders", "true")
        .load()
    )
