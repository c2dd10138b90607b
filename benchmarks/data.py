"""The benchmark's data: ~1 KiB JSON events, 5 % bad of six kinds, over 3 hours, produced once.

Records come from ``jobs.demo.sample_data`` (the demo's and the tests' generator, so the bad kinds
are the ones the job knows); good values and JSON-object bad values are padded to
``value_bytes`` with a random base64 ``payload`` field, so Parquet cannot compress them away.
Partitions are assigned round-robin so every partition holds the same number of records.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jobs.demo.sample_data import SampleRecord, sample_records

_FILLER = base64.b64encode(random.Random(11).randbytes(96 * 1024))


@dataclass(frozen=True)
class Dataset:
    topic: str
    records: int
    partitions: int
    per_partition: dict[int, int]
    bad: int
    start: datetime
    produce_seconds: float


def bench_records(
    count: int, *, value_bytes: int, bad_fraction: float, hours: int, start: datetime
) -> list[SampleRecord]:
    records = sample_records(
        count, start=start, hours=hours, bad_fraction=bad_fraction, num_partitions=1
    )
    rng = random.Random(5)
    return [
        SampleRecord(r.key, pad(r.value, value_bytes, rng), r.timestamp_ms, 0, r.expected_error)
        for r in records
    ]


def pad(value: bytes | None, size: int, rng: random.Random) -> bytes | None:
    """A JSON object grown to ``size`` bytes with a ``payload`` field; anything else unchanged."""
    if value is None or not (value.startswith(b"{") and value.endswith(b"}")):
        return value
    room = size - len(value) - len(b', "payload": ""')
    if room <= 0:
        return value
    at = rng.randrange(len(_FILLER) - room)
    return value[:-1] + b', "payload": "' + _FILLER[at : at + room] + b'"}'


def sparse_bad(records: list[SampleRecord], every: int) -> list[SampleRecord]:
    """The good records with one bad record (cycling through the kinds) every ``every``."""
    good = [r for r in records if r.expected_error is None]
    bad = [r for r in records if r.expected_error is not None]
    if not bad or every < 1:
        return good
    return [
        bad[(i // every) % len(bad)] if i % every == every - 1 else r for i, r in enumerate(good)
    ]


def data_start(hours: int) -> datetime:
    """``hours`` hours before the current hour: recent enough for the broker's retention."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours)


def producer(bootstrap: str, **overrides: object):
    from confluent_kafka import Producer

    config = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 20,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
        "compression.type": "none",
        "acks": "all",
    }
    return Producer({**config, **overrides})


def produce(
    bootstrap: str, topic: str, records: Iterable[SampleRecord], partitions: int
) -> dict[int, int]:
    """Send every record round-robin over ``partitions``, wait for all acks; count per partition."""
    failures: list[str] = []

    def on_delivery(error, message) -> None:
        if error is not None:
            failures.append(str(error))

    p = producer(bootstrap)
    counts = dict.fromkeys(range(partitions), 0)
    for i, r in enumerate(records):
        part = i % partitions
        send(p, topic, r.key, r.value, part, r.timestamp_ms, on_delivery)
        counts[part] += 1
    p.flush(120)
    if failures:
        raise RuntimeError(f"{len(failures)} records not delivered, e.g. {failures[0]}")
    return counts


def send(p, topic: str, key, value, partition: int, timestamp_ms: int, on_delivery=None) -> None:
    while True:
        try:
            p.produce(
                topic,
                value=value,
                key=key,
                partition=partition,
                timestamp=timestamp_ms,
                on_delivery=on_delivery,
            )
            p.poll(0)
            return
        except BufferError:
            p.poll(0.05)


def create_and_fill(
    kafka, topic: str, records: list[SampleRecord], partitions: int, start: datetime
) -> Dataset:
    kafka.create_topics([topic], num_partitions=partitions)
    began = time.monotonic()
    counts = produce(kafka.broker, topic, records, partitions)
    bad = sum(1 for r in records if r.expected_error)
    return Dataset(topic, len(records), partitions, counts, bad, start, time.monotonic() - began)
