"""Step 1 of a micro-batch: partition columns and batch facts added to the Kafka rows."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def partition_columns(timestamp: Column, zone: str, session_zone: str) -> dict[str, Column]:
    """``date`` (yyyy-MM-dd) and ``hour`` (HH) of ``timestamp`` in ``zone``, as strings.

    Spark formats timestamps in the session zone, so the instant is first shifted to the wall
    time of ``zone`` as seen from the session zone.
    """
    local = F.from_utc_timestamp(F.to_utc_timestamp(timestamp, session_zone), zone)
    return {"date": F.date_format(local, "yyyy-MM-dd"), "hour": F.date_format(local, "HH")}


def stamp(kafka_rows: DataFrame, batch_id: int, zone: str) -> DataFrame:
    """Kafka source rows with snake_case names, partition columns, batch id and ingest time."""
    session_zone = kafka_rows.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
    return kafka_rows.select(
        "topic",
        "partition",
        "offset",
        "timestamp",
        F.col("timestampType").alias("timestamp_type"),
        "key",
        "value",
        "headers",
        F.lit(batch_id).cast("long").alias("batch_id"),
        F.current_timestamp().alias("ingested_at"),
        *[c.alias(n) for n, c in partition_columns(F.col("timestamp"), zone, session_zone).items()],
    )
