"""``jobs.core.partitioning`` and ``jobs.pipeline.stamp``: date/hour partitions of a timestamp.

The Spark columns must agree with ``partition_values`` for every instant and time zone, whatever
the session time zone is.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import timezone as utc_offset
from functools import reduce

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.core.partitioning import is_known_timezone, partition_values
from jobs.pipeline.stamp import stamp

# --- partition_values (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "timezone", "expected"),
    [
        (datetime(2026, 11, 22, 9, 30, tzinfo=UTC), "UTC", ("2026-11-22", "09")),
        (datetime(2026, 11, 22, 0, 0, tzinfo=UTC), "UTC", ("2026-11-22", "00")),
        (datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=UTC), "UTC", ("2026-11-22", "23")),
        (datetime(2026, 11, 22, 9, 30, tzinfo=UTC), "America/New_York", ("2026-11-22", "04")),
        (datetime(2026, 11, 22, 3, 0, tzinfo=UTC), "America/New_York", ("2026-11-21", "22")),
        (datetime(2026, 7, 1, 3, 0, tzinfo=UTC), "America/New_York", ("2026-06-30", "23")),
        (datetime(2026, 11, 22, 18, 29, tzinfo=UTC), "Asia/Kolkata", ("2026-11-22", "23")),
        (datetime(2026, 11, 22, 18, 30, tzinfo=UTC), "Asia/Kolkata", ("2026-11-23", "00")),
        (datetime(2026, 11, 22, 18, 45, tzinfo=UTC), "Asia/Kolkata", ("2026-11-23", "00")),
        (datetime(2026, 11, 22, 15, 0, tzinfo=UTC), "Asia/Tokyo", ("2026-11-23", "00")),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", ("2027-01-01", "08")),
    ],
)
def test_partition_values(moment, timezone, expected):
    assert partition_values(moment, timezone) == expected


def test_default_timezone_is_utc():
    assert partition_values(datetime(2026, 11, 22, 9, 30, tzinfo=UTC)) == ("2026-11-22", "09")


def test_naive_timestamps_are_utc():
    naive = datetime(2026, 11, 22, 9, 30)
    assert partition_values(naive) == ("2026-11-22", "09")
    assert partition_values(naive, "Asia/Kolkata") == ("2026-11-22", "15")


def test_aware_timestamps_in_another_offset_are_converted():
    plus_five = datetime(2026, 11, 22, 2, 30, tzinfo=utc_offset(timedelta(hours=5)))
    assert partition_values(plus_five) == ("2026-11-21", "21")
    assert partition_values(plus_five, "Europe/Paris") == ("2026-11-21", "22")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # spring forward 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST; hour 02 is skipped
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), ("2026-03-29", "01")),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), ("2026-03-29", "03")),
        # fall back 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET; hour 02 happens twice
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), ("2026-10-25", "02")),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), ("2026-10-25", "02")),
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), ("2026-10-25", "03")),
    ],
)
def test_daylight_saving_in_paris(moment, expected):
    assert partition_values(moment, "Europe/Paris") == expected


@pytest.mark.parametrize(
    ("timezone", "known"),
    [("UTC", True), ("Europe/Paris", True), ("Asia/Kolkata", True), ("Nowhere/City", False)],
)
def test_is_known_timezone(timezone, known):
    assert is_known_timezone(timezone) is known


# --- stamp (Spark) ----------------------------------------------------------------------------

KAFKA_SOURCE = T.StructType(
    [
        T.StructField("key", T.BinaryType()),
        T.StructField("value", T.BinaryType()),
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.IntegerType()),
        T.StructField("offset", T.LongType()),
        T.StructField("timestamp", T.TimestampType()),
        T.StructField("timestampType", T.IntegerType()),
        T.StructField(
            "headers",
            T.ArrayType(
                T.StructType(
                    [T.StructField("key", T.StringType()), T.StructField("value", T.BinaryType())]
                )
            ),
        ),
    ]
)
MOMENTS = [
    datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
    datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 22, 14, 59, tzinfo=UTC),  # Tokyo: just before midnight
    datetime(2026, 11, 22, 15, 0, tzinfo=UTC),  # Tokyo: midnight
    datetime(2026, 11, 22, 18, 29, tzinfo=UTC),  # Kolkata: 23:59
    datetime(2026, 11, 22, 18, 45, tzinfo=UTC),  # Kolkata: 00:15 the next day
    datetime(2026, 3, 8, 6, 59, tzinfo=UTC),  # New York: 01:59 EST
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York: 03:00 EDT (spring forward)
    datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York: 01:30 EDT
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # New York: 01:30 EST (fall back)
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Paris: 03:30 CEST
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Paris: 02:30 CEST
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # Paris: 02:30 CET
    datetime(2026, 3, 8, 10, 30, tzinfo=UTC),  # Los Angeles: 03:30 PDT
    datetime(2026, 11, 1, 9, 30, tzinfo=UTC),  # Los Angeles: 01:30 PST
    datetime(1969, 12, 31, 23, 30, tzinfo=UTC),  # before the epoch
    datetime(2026, 2, 28, 23, 0, tzinfo=UTC),  # month end
]
TIMEZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Paris", "Asia/Tokyo"]
SESSION_ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata"]


@pytest.fixture(scope="module")
def kafka_rows(spark):
    rows = [
        (
            f"k{i}".encode(),
            f"v{i}".encode(),
            "orders",
            i % 3,
            1000 + i,
            moment,
            0,
            [{"key": "trace", "value": f"t{i}".encode()}],
        )
        for i, moment in enumerate(MOMENTS)
    ]
    return spark.createDataFrame(rows, KAFKA_SOURCE)


@contextmanager
def session_timezone(spark, timezone: str):
    spark.conf.set("spark.sql.session.timeZone", timezone)
    try:
        yield
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def expected_partitions(spark):
    rows = [
        (timezone, 1000 + i, *partition_values(moment, timezone))
        for timezone in TIMEZONES
        for i, moment in enumerate(MOMENTS)
    ]
    return spark.createDataFrame(rows, "timezone string, offset long, date string, hour string")


def stamped_in_every_zone(kafka_rows):
    """``stamp`` once per timezone, as one DataFrame: one Spark job checks them all."""
    frames = [
        stamp(kafka_rows, batch_id=7, timezone=timezone).select(
            F.lit(timezone).alias("timezone"), "offset", "date", "hour"
        )
        for timezone in TIMEZONES
    ]
    return reduce(DataFrame.unionAll, frames)


def test_stamp_columns_and_carried_values(spark, kafka_rows):
    stamped = stamp(kafka_rows, batch_id=7, timezone="UTC")
    assert stamped.columns == [
        "topic",
        "partition",
        "offset",
        "timestamp",
        "timestamp_type",
        "key",
        "value",
        "headers",
        "batch_id",
        "ingested_at",
        "date",
        "hour",
    ]
    types = dict(stamped.dtypes)
    assert types["batch_id"] == "bigint"
    assert types["ingested_at"] == "timestamp"
    assert types["date"] == types["hour"] == "string"
    assert types["timestamp_type"] == "int"
    actual = stamped.drop("ingested_at", "date", "hour", "batch_id")
    expected = kafka_rows.select(
        "topic",
        "partition",
        "offset",
        "timestamp",
        kafka_rows["timestampType"].alias("timestamp_type"),
        "key",
        "value",
        "headers",
    )
    assert_df_equality(actual, expected, ignore_row_order=True)
    facts = {(r.batch_id, r.ingested_at is not None) for r in stamped.collect()}
    assert facts == {(7, True)}


@pytest.mark.parametrize("session", SESSION_ZONES)
def test_stamp_partitions_match_partition_values(spark, kafka_rows, session):
    with session_timezone(spark, session):
        assert spark.conf.get("spark.sql.session.timeZone") == session
        assert_df_equality(
            stamped_in_every_zone(kafka_rows),
            expected_partitions(spark),
            ignore_row_order=True,
            ignore_nullable=True,
        )
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_null_timestamp_gives_null_partitions(spark, kafka_rows):
    row = kafka_rows.limit(1).withColumn("timestamp", F.lit(None).cast("timestamp"))
    (stamped,) = stamp(row, batch_id=1, timezone="Asia/Kolkata").select("date", "hour").collect()
    assert (stamped.date, stamped.hour) == (None, None)


def test_stamp_readme_examples(spark, kafka_rows):
    """The named cases, spelled out: UTC, New York and Kolkata's half-hour offset."""
    with session_timezone(spark, "Asia/Tokyo"):
        got = {
            timezone: {
                r.offset: (r.date, r.hour)
                for r in stamp(kafka_rows, 7, timezone).select("offset", "date", "hour").collect()
            }
            for timezone in ("UTC", "America/New_York", "Asia/Kolkata")
        }
    assert got["UTC"][1000] == ("2026-11-22", "09")
    assert got["America/New_York"][1000] == ("2026-11-22", "04")
    assert got["Asia/Kolkata"][1000] == ("2026-11-22", "15")
    assert got["Asia/Kolkata"][1006] == ("2026-11-23", "00")
    assert got["America/New_York"][1007] == ("2026-03-08", "01")
    assert got["America/New_York"][1008] == ("2026-03-08", "03")
    assert got["America/New_York"][1010] == got["America/New_York"][1011] == ("2026-11-01", "01")
    assert got["UTC"][1017] == ("1969-12-31", "23")
