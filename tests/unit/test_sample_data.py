import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from jobs.demo.sample_data import ERROR_TYPES, SampleRecord, expected_counts, sample_records

START = datetime(2026, 11, 22, 9, tzinfo=UTC)
REQUIRED_TYPES = {"event_id": str, "user_id": int, "amount": float, "kind": str}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _bad(records: list[SampleRecord], error: str) -> list[SampleRecord]:
    return [r for r in records if r.expected_error == error]


@pytest.fixture(scope="module")
def records() -> list[SampleRecord]:
    return sample_records(1000, start=START)


def test_same_seed_gives_the_same_records(records):
    assert sample_records(1000, start=START) == records


def test_another_seed_gives_other_records(records):
    assert sample_records(1000, start=START, seed=8) != records


def test_count(records):
    assert len(records) == 1000
    assert sample_records(0, start=START) == []


@pytest.mark.parametrize(("count", "fraction"), [(1000, 0.05), (201, 0.05), (37, 0.1), (50, 0.0)])
def test_bad_fraction_within_one_record(count, fraction):
    records = sample_records(count, start=START, bad_fraction=fraction)
    bad = sum(r.expected_error is not None for r in records)
    assert abs(bad - count * fraction) <= 1


def test_bad_records_are_spread_evenly(records):
    positions = [i for i, r in enumerate(records) if r.expected_error]
    gaps = {b - a for a, b in itertools.pairwise(positions)}
    assert gaps <= {19, 20, 21}


def test_every_error_type_is_present_from_200_records():
    counts = expected_counts(sample_records(200, start=START))
    assert all(counts[error] >= 1 for error in ERROR_TYPES)


def test_expected_counts(records):
    counts = expected_counts(records)
    assert list(counts) == ["ok", *ERROR_TYPES]
    assert counts["ok"] == 950
    assert sum(counts.values()) == 1000


@pytest.mark.parametrize("hours", [1, 3])
def test_timestamps_within_the_hours(hours):
    records = sample_records(500, start=START, hours=hours)
    low, high = _ms(START), _ms(START + timedelta(hours=hours))
    assert all(low <= r.timestamp_ms < high for r in records)
    per_hour = {(r.timestamp_ms - low) // 3_600_000 for r in records}
    assert per_hour == set(range(hours))


def test_keys_and_partitions():
    records = sample_records(300, start=START, num_partitions=4)
    assert all(r.key is not None and r.key.startswith(b"user-") for r in records)
    assert {r.partition for r in records} == {0, 1, 2, 3}
    by_key = {}
    for r in records:
        assert by_key.setdefault(r.key, r.partition) == r.partition


def test_good_values_are_events(records):
    good = [json.loads(r.value.decode("utf-8")) for r in records if r.expected_error is None]
    for event in good:
        assert set(event) - {"note"} == set(REQUIRED_TYPES)
        assert all(type(event[name]) is kind for name, kind in REQUIRED_TYPES.items())
        assert event["kind"] in {"view", "click", "purchase"}
    assert len({e["event_id"] for e in good}) == len(good)


def test_undecodable_values_are_not_utf8(records):
    for r in _bad(records, "UndecodableValue"):
        with pytest.raises(UnicodeDecodeError):
            r.value.decode("utf-8")


def test_invalid_json_values_are_text_but_not_json(records):
    for r in _bad(records, "InvalidJson"):
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.value.decode("utf-8"))


def test_not_an_object_values_are_other_json(records):
    for r in _bad(records, "NotAnObject"):
        assert not isinstance(json.loads(r.value), dict)


def test_missing_field_values_lack_a_required_field(records):
    for r in _bad(records, "MissingField"):
        event = json.loads(r.value)
        assert isinstance(event, dict)
        assert len(set(REQUIRED_TYPES) - set(event)) == 1


def test_wrong_field_type_values_have_a_field_of_another_type(records):
    for r in _bad(records, "WrongFieldType"):
        event = json.loads(r.value)
        assert set(REQUIRED_TYPES) <= set(event)
        wrong = [n for n, kind in REQUIRED_TYPES.items() if type(event[n]) is not kind]
        assert len(wrong) == 1


def test_null_values_are_tombstones_with_a_key(records):
    nulls = _bad(records, "NullValue")
    assert nulls
    assert all(r.value is None and r.key is not None for r in nulls)


@pytest.mark.parametrize("size", [200, 1024, 4096])
def test_value_bytes_pads_good_records(size):
    records = sample_records(100, start=START, value_bytes=size)
    good = [r for r in records if r.expected_error is None]
    assert all(abs(len(r.value) - size) <= size * 0.1 for r in good)
    assert all(set(json.loads(r.value)) == {*REQUIRED_TYPES, "note"} for r in good)


def test_rejects_a_naive_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_records(10, start=datetime(2026, 11, 22, 9))
