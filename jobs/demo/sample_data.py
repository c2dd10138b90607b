"""Deterministic demo records for a topic of JSON events, good and deliberately bad.

Used by ``make demo``, the tests and the benchmarks. Pure Python: no Spark, no Kafka.
"""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "ERROR_TYPES",
    "KINDS",
    "REQUIRED_FIELDS",
    "SampleRecord",
    "expected_counts",
    "sample_records",
]

ERROR_TYPES: tuple[str, ...] = (
    "UndecodableValue",
    "InvalidJson",
    "NotAnObject",
    "MissingField",
    "WrongFieldType",
    "NullValue",
)
KINDS: tuple[str, ...] = ("view", "click", "purchase")
REQUIRED_FIELDS: tuple[str, ...] = ("event_id", "user_id", "amount", "kind")
NUM_USERS = 50
HOUR_MS = 3_600_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SampleRecord:
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    partition: int
    expected_error: str | None


def sample_records(
    count: int,
    *,
    start: datetime,
    hours: int = 3,
    bad_fraction: float = 0.05,
    seed: int = 7,
    num_partitions: int = 3,
    value_bytes: int | None = None,
) -> list[SampleRecord]:
    """``count`` records over ``hours`` hours from ``start``; the same arguments give the same list.

    About ``count * bad_fraction`` of them are bad, spread evenly and cycling through
    ``ERROR_TYPES``; ``expected_error`` names the DLQ error_type each one should get.
    """
    _check_arguments(count, start, hours, bad_fraction, num_partitions)
    rng = random.Random(seed)
    bad_at = _bad_positions(count, round(count * bad_fraction))
    start_ms = (start - EPOCH) // timedelta(milliseconds=1)
    span_ms = hours * HOUR_MS
    records = []
    for index in range(count):
        user_id = rng.randint(1, NUM_USERS)
        key = f"user-{user_id}".encode()
        offset_ms = min(int((index + rng.random()) * span_ms / count), span_ms - 1)
        event = _good_event(rng, index, user_id)
        error, value = _value(event, bad_at.get(index), value_bytes)
        partition = partition_for(key, num_partitions)
        records.append(SampleRecord(key, value, start_ms + offset_ms, partition, error))
    return records


def expected_counts(records: Iterable[SampleRecord]) -> dict[str, int]:
    """Good records under ``"ok"`` and one entry per error type, zeros included."""
    seen = Counter(r.expected_error or "ok" for r in records)
    return {name: seen[name] for name in ("ok", *ERROR_TYPES)}


def partition_for(key: bytes | None, num_partitions: int) -> int:
    """A stable partition: ``hash()`` is salted per process, crc32 is not."""
    return zlib.crc32(key) % num_partitions if key is not None else 0


def _check_arguments(
    count: int, start: datetime, hours: int, bad_fraction: float, num_partitions: int
) -> None:
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (UTC)")
    if hours < 1:
        raise ValueError(f"hours must be >= 1, got {hours}")
    if not 0.0 <= bad_fraction <= 1.0:
        raise ValueError(f"bad_fraction must be within [0, 1], got {bad_fraction}")
    if num_partitions < 1:
        raise ValueError(f"num_partitions must be >= 1, got {num_partitions}")


def _bad_positions(count: int, num_bad: int) -> dict[int, int]:
    """Index -> ordinal of the bad records, one mid-way through each of ``num_bad`` slices."""
    return {int((i + 0.5) * count / num_bad): i for i in range(num_bad)}


def _value(
    event: dict[str, object], bad_ordinal: int | None, value_bytes: int | None
) -> tuple[str | None, bytes | None]:
    """(expected error, value bytes); the n-th bad record takes the n-th type, cyclically."""
    if bad_ordinal is None:
        return None, _encode(event, value_bytes)
    cycle, position = divmod(bad_ordinal, len(ERROR_TYPES))
    error = ERROR_TYPES[position]
    return error, _bad_value(error, variant=cycle, event=event)


def _good_event(rng: random.Random, index: int, user_id: int) -> dict[str, object]:
    event: dict[str, object] = {
        "event_id": f"evt-{index:06d}",
        "user_id": user_id,
        "amount": round(rng.uniform(0.5, 500.0), 2),
        "kind": rng.choice(KINDS),
    }
    if rng.random() < 0.2:
        event["note"] = rng.choice(("gift", "promo", "retry", "mobile"))
    return event


def _encode(event: dict[str, object], value_bytes: int | None) -> bytes:
    if value_bytes is None:
        return json.dumps(event).encode()
    padded = {**event, "note": ""}
    missing = value_bytes - len(json.dumps(padded).encode())
    padded["note"] = "x" * max(missing, 0)
    return json.dumps(padded).encode()


def _bad_value(error: str, *, variant: int, event: dict[str, object]) -> bytes | None:
    if error == "UndecodableValue":
        return b"\xff\xfe\x00bad"
    if error == "InvalidJson":
        return f'{{"event_id": "{event["event_id"]}", '.encode()
    if error == "NotAnObject":
        return (b"[1, 2, 3]", b'"just a string"')[variant % 2]
    if error == "MissingField":
        missing = REQUIRED_FIELDS[variant % len(REQUIRED_FIELDS)]
        return json.dumps({k: v for k, v in event.items() if k != missing}).encode()
    if error == "WrongFieldType":
        wrong = ({"user_id": "seventeen"}, {"amount": "12.50"})[variant % 2]
        return json.dumps({**event, **wrong}).encode()
    if error == "NullValue":
        return None
    raise ValueError(f"unknown error type {error!r}")
