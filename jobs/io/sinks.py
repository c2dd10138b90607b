"""Kafka topics as sinks of a micro-batch's rows (the Delta tables: ``jobs.io.table_writes``)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.io.dlq_headers import HeaderStyle, error_headers
from jobs.io.kafka_source import spark_kafka_options
from jobs.io.schemas import HEADERS

__all__ = ["KafkaTopic", "as_json_records", "with_error_headers"]


@dataclass(frozen=True)
class KafkaTopic:
    """A Kafka topic written by Spark's connector: at least once (Kafka has no txn here)."""

    topic: str
    bootstrap_servers: str
    kafka_options: dict[str, str]
    error_headers: HeaderStyle = "dlq"

    def write(self, rows: DataFrame) -> None:
        """``rows`` has ``key``, ``value`` and optionally ``headers``."""
        writer = rows.write.format("kafka").option("topic", self.topic)
        writer.options(**spark_kafka_options(self.bootstrap_servers, self.kafka_options)).save()


def as_json_records(output_rows: DataFrame, output_columns: list[str]) -> DataFrame:
    """Output rows as Kafka records: the source key, the output row as a JSON value."""
    return output_rows.select(
        "key", F.to_json(F.struct(*output_columns)).cast("binary").alias("value")
    )


def with_error_headers(
    dlq_rows: DataFrame, style: HeaderStyle = "dlq", job_name: str = "kafka-stream"
) -> DataFrame:
    """DLQ rows as Kafka records: the original bytes, the error facts added as headers
    (``jobs.io.dlq_headers``: this job's ``dlq.*`` names, Kafka Connect's, or both)."""
    original = F.coalesce(F.col("headers"), F.array().cast(HEADERS))
    added = error_headers(style, job_name)
    return dlq_rows.select("key", "value", F.concat(original, added).alias("headers"))
