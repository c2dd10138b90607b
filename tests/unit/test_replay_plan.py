"""``jobs.core.replay_plan``: hour and offset ranges, retention, chunks. No Spark, no Kafka."""

from __future__ import annotations

from datetime import datetime

import pytest

from jobs.config.values import parse_hour_range, parse_timestamp_ms
from jobs.core.errors import ConfigError
from jobs.core.replay_plan import (
    Hole,
    OffsetRange,
    RangeNotRetained,
    chunks,
    group_by_size,
    offset_ranges,
    within_retention,
)


def test_hour_range_is_inclusive_at_both_ends():
    hours = parse_hour_range("2026-11-22T22", "2026-11-23T01")
    assert hours.hours() == [
        ("2026-11-22", "22"),
        ("2026-11-22", "23"),
        ("2026-11-23", "00"),
        ("2026-11-23", "01"),
    ]
    assert hours.bounds == ("2026-11-22T22", "2026-11-23T01")


def test_open_ended_hour_ranges():
    assert parse_hour_range(None, None) is None
    assert parse_hour_range("2026-11-22T09", None).last == datetime(9999, 12, 31, 23)
    assert parse_hour_range(None, "2026-11-22T09").first == datetime(1970, 1, 1)


@pytest.mark.parametrize(
    ("first", "last", "flag", "says"),
    [
        ("2026-11-22T12", "2026-11-22T09", "--to", "reversed"),
        ("2026-11-22 09", "2026-11-22T10", "--from", "not an hour"),
        ("2026-11-22T09", "2026-13-01T00", "--to", "not an hour"),
    ],
)
def test_bad_hour_ranges_name_the_flag(first, last, flag, says):
    with pytest.raises(ConfigError, match=says) as raised:
        parse_hour_range(first, last)
    assert raised.value.setting == flag


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1795338000000", 1795338000000),
        ("2026-11-22T09:00:00Z", 1795338000000),
        ("2026-11-22T09:00:00", 1795338000000),
        ("2026-11-22T10:00:00+01:00", 1795338000000),
    ],
)
def test_timestamps_are_epoch_ms_or_iso(text, ms):
    assert parse_timestamp_ms(text, "--starting-timestamp") == ms


def test_a_bad_timestamp_names_the_flag():
    with pytest.raises(ConfigError, match="--ending-timestamp"):
        parse_timestamp_ms("yesterday", "--ending-timestamp")


def test_offset_ranges_pair_start_and_end_per_partition():
    ranges = offset_ranges({"t": {1: 5, 0: 0}}, {"t": {0: 10, 1: 5, 2: 99}})
    assert ranges == [OffsetRange("t", 0, 0, 10), OffsetRange("t", 1, 5, 5)]
    assert [r.size for r in ranges] == [10, 0]


def test_a_reversed_offset_range_is_refused():
    with pytest.raises(ConfigError, match=r"t\[0\] ends at 3, before its start 9"):
        offset_ranges({"t": {0: 9}}, {"t": {0: 3}})


def test_a_partition_without_an_end_is_refused():
    with pytest.raises(ConfigError, match=r"no ending offset for t\[1\]"):
        offset_ranges({"t": {1: 0}}, {"t": {0: 3}})


EARLIEST = {("t", 0): 100, ("t", 1): 0}
LATEST = {("t", 0): 500, ("t", 1): 50}


def test_retention_error_names_partition_offset_and_earliest():
    with pytest.raises(RangeNotRetained) as raised:
        within_retention([OffsetRange("t", 0, 40, 200)], EARLIEST, LATEST, allow_missing=False)
    assert "t[0]: offset 40 is no longer retained; the earliest available is 100" in str(
        raised.value
    )


def test_allow_missing_replays_the_rest_and_reports_the_hole():
    kept, holes = within_retention(
        [OffsetRange("t", 0, 40, 200), OffsetRange("t", 1, 0, 80)],
        EARLIEST,
        LATEST,
        allow_missing=True,
    )
    assert kept == [OffsetRange("t", 0, 100, 200), OffsetRange("t", 1, 0, 50)]
    assert holes == [Hole("t", 0, 40, 100)]
    assert str(holes[0]) == "t[0]: offsets 40..99 are no longer retained (60 records)"


def test_a_range_entirely_gone_leaves_only_a_hole():
    kept, holes = within_retention(
        [OffsetRange("t", 0, 0, 60)], EARLIEST, LATEST, allow_missing=True
    )
    assert kept == [] and holes == [Hole("t", 0, 0, 60)]


def test_chunks_split_partitions_to_the_record_limit_in_order():
    ranges = [OffsetRange("t", 0, 0, 250), OffsetRange("t", 1, 10, 60)]
    planned = list(chunks(ranges, 100))
    assert [[(r.partition, r.start, r.end) for r in c] for c in planned] == [
        [(0, 0, 100)],
        [(0, 100, 200)],
        [(0, 200, 250), (1, 10, 60)],
    ]
    assert sum(r.size for c in planned for r in c) == 300


def test_chunks_of_nothing_are_none():
    assert list(chunks([OffsetRange("t", 0, 5, 5)], 10)) == []


def test_hours_are_grouped_whole_up_to_the_limit():
    counts = [("d", "00", 40), ("d", "01", 50), ("d", "02", 30), ("d", "03", 500), ("d", "04", 1)]
    assert group_by_size(counts, 100) == [
        [("d", "00"), ("d", "01")],
        [("d", "02")],
        [("d", "03")],
        [("d", "04")],
    ]
