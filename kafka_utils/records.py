"""Records as a test sees them, produced and read back with plain Kafka clients.

Keys, values and header values are serialized as PySpark's helper does: None stays None (no
key, or a tombstone), anything else is ``str()`` encoded as UTF-8 (``1`` is sent as ``b"1"``),
except that bytes stay bytes (PySpark's sends ``b"\\x00"`` as the text ``b'\\x00'``).

Reading goes through kafka-python, not Spark's connector, so a connector bug cannot hide
itself in the very check that should catch it. Every record is kept: duplicates stay, and the
order within each partition is the log's order.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.serializer import Serializer

from kafka_utils.errors import KafkaUtilsError

__all__ = ["Message", "Record", "StrSerializer", "as_message", "read_all", "send", "serialize"]

Headers = Sequence[tuple[str, Any]]


def serialize(data: Any) -> bytes | None:
    """None and bytes as they are, any other value as ``str(value)`` in UTF-8."""
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    return str(data).encode("utf-8")


class StrSerializer(Serializer):
    """The producer's key and value serializer: :func:`serialize`."""

    def serialize(self, topic: str, headers: Any, data: Any) -> bytes | None:
        return serialize(data)


@dataclass(frozen=True)
class Message:
    """One record to send. ``partition``/``timestamp_ms`` of None let Kafka choose."""

    key: Any = None
    value: Any = None
    headers: Headers = ()
    partition: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class Record:
    """One record read back from the log, bytes as bytes."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = field(default=())

    def key_str(self) -> str | None:
        return None if self.key is None else self.key.decode()

    def value_str(self) -> str | None:
        return None if self.value is None else self.value.decode()


def _header_value(data: Any) -> bytes:
    if data is None:
        raise ValueError("header values must not be None: kafka-python cannot send None")
    return serialize(data)  # type: ignore[return-value]


def as_message(item: Any) -> Message:
    """A Message, a ``(key, value)`` / ``(key, value, headers)`` tuple or list, or a dict."""
    if isinstance(item, Message):
        return item
    if isinstance(item, Mapping):
        return Message(**item)
    if isinstance(item, Sequence) and not isinstance(item, str | bytes) and len(item) in (2, 3):
        return Message(*item)
    raise TypeError(f"a message is a Message, (key, value[, headers]) or dict; got {item!r}")


def send(
    producer: KafkaProducer, topic: str, messages: Iterable[Any], timeout: float = 30.0
) -> list[tuple[int, int]]:
    """Send and wait for every acknowledgement; return ``(partition, offset)`` per message."""
    futures = []
    for item in messages:
        m = as_message(item)
        if m.key is None and m.value is None:
            raise ValueError(
                f"message {m!r} has neither key nor value; Kafka clients refuse that "
                "(a tombstone is a key with a None value)"
            )
        headers = [(name, _header_value(v)) for name, v in m.headers]
        futures.append(
            producer.send(
                topic,
                key=serialize(m.key),
                value=serialize(m.value),
                headers=headers or None,
                partition=m.partition,
                timestamp_ms=m.timestamp_ms,
            )
        )
    producer.flush(timeout=timeout)
    acks = [f.get(timeout=timeout) for f in futures]
    return [(a.partition, a.offset) for a in acks]


def read_all(
    bootstrap_servers: str, topic: str, timeout: float = 30.0, **consumer_options: Any
) -> list[Record]:
    """Every record of ``topic`` from the beginning up to its end offsets at call time."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        **consumer_options,
    )
    try:
        partitions = _partitions(consumer, topic, timeout)
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        consumer.seek_to_beginning(*partitions)
        return _poll_until(consumer, ends, time.monotonic() + timeout)
    finally:
        consumer.close()


def _partitions(consumer: KafkaConsumer, topic: str, timeout: float) -> list[TopicPartition]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, p) for p in sorted(found)]
        time.sleep(0.1)
    raise KafkaUtilsError(f"topic {topic!r} has no partitions (does it exist?)")


def _poll_until(
    consumer: KafkaConsumer, ends: dict[TopicPartition, int], deadline: float
) -> list[Record]:
    records: list[Record] = []
    pending = {tp for tp, end in ends.items() if consumer.position(tp) < end}
    while pending:
        if time.monotonic() > deadline:
            raise KafkaUtilsError(f"timed out reading {sorted(map(tuple, pending))} to {ends}")
        for tp, batch in consumer.poll(timeout_ms=500).items():
            records.extend(_record(r) for r in batch if r.offset < ends[tp])
        pending = {tp for tp in pending if consumer.position(tp) < ends[tp]}
    return sorted(records, key=lambda r: (r.partition, r.offset))


def _record(r: Any) -> Record:
    headers = tuple((name, value) for name, value in (r.headers or []))
    return Record(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, headers)
