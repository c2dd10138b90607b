"""Kafka topics as sinks of a micro-batch's rows (the Delta tables: ``jobs.io.table_writes``)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.io.kafka_source import spark_kafka_options
from jobs.io.schemas import HEADERS

__all__ = ["KafkaTopic", "as_json_records", "with_error_headers"]


@dataclass(frozen=True)
class KafkaTopic:
    """A Kafka topic written by Spark's connector: at least once (Kafka has no txn here)."""

    topic: str
    bootstrap_servers: str
    kafka_options: dict[str, str]

    def write(self, rows: DataFrame) -> None:
        """``rows`` has ``key``, ``value`` and optionally ``headers``."""
        writer = rows.write.format("kafka").option("topic", self.topic)
        writer.options(**spark_kafka_options(self.bootstrap_servers, self.kafka_options)).save()


def as_json_records(output_rows: DataFrame, output_columns: list[str]) -> DataFrame:
    """Output rows as Kafka records: the source key, the output row as a JSON value."""
    return output_rows.select(
        "key", F.to_json(F.struct(*output_columns)).cast("binary").alias("value")
    )


def with_error_headers(dlq_rows: DataFrame) -> DataFrame:
    """DLQ rows as Kafka records: the original bytes, the error facts added as headers."""
    facts = ["error_type", "error_message", "processor", "batch_id", "topic", "partition", "offset"]
    error_headers = F.array(
        *[
            F.struct(
                F.lit(f"dlq.{name}").alias("key"),
                F.col(name).cast("string").cast("binary").alias("value"),
            )
            for name in facts
        ]
    )
    original = F.coalesce(F.col("headers"), F.array().cast(HEADERS))
    return dlq_rows.select("key", "value", F.concat(original, error_headers).alias("headers"))
