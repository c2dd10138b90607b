"""Step 1 of a micro-batch: partition columns and batch facts added to the Kafka rows."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

__all__ = ["partition_columns", "session_timezone", "stamp"]

_HOUR_MICROS = 3_600_000_000
_DAY_MICROS = 24 * _HOUR_MICROS


def partition_columns(timestamp: Column, timezone: str, session_timezone: str) -> dict[str, Column]:
    """``date`` (yyyy-MM-dd) and ``hour`` (HH) of ``timestamp`` in ``timezone``, as strings.

    Spark formats timestamps in the session time zone, and shifting an instant through it takes
    the wrong offset around a daylight-saving change of either zone. So the wall time of
    ``timezone`` is taken as microseconds (``from_utc_timestamp`` applies its offset at that
    very instant) and cut into date and hour by arithmetic, whatever ``session_timezone``.
    The same rule as ``jobs.core.partitioning.partition_values``, in Spark columns.
    """
    wall = F.unix_micros(F.from_utc_timestamp(timestamp, timezone))
    of_day = F.pmod(wall, F.lit(_DAY_MICROS))
    days = ((wall - of_day) / _DAY_MICROS).cast("int")
    hour = (of_day / _HOUR_MICROS).cast("int")
    return {
        "date": F.date_from_unix_date(days).cast("string"),
        "hour": F.lpad(hour.cast("string"), 2, "0"),
    }


def session_timezone(spark: SparkSession) -> str:
    """The time zone Spark formats timestamps in (``spark.sql.session.timeZone``)."""
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


def stamp(kafka_rows: DataFrame, batch_id: int, timezone: str) -> DataFrame:
    """Kafka source rows with snake_case names, partition columns, batch id and ingest time."""
    session = session_timezone(kafka_rows.sparkSession)
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
        *[c.alias(n) for n, c in partition_columns(F.col("timestamp"), timezone, session).items()],
    )
