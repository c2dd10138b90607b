"""Offsets the broker knows, asked through a plain Kafka client from the driver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTP
from kafka.errors import KafkaError

from jobs.core.errors import ConfigError, InfrastructureError
from jobs.core.offsets import TopicPartition
from jobs.io.kafka_client import kafka_python_options

__all__ = ["BrokerOffsets", "broker_offsets"]


class BrokerOffsets:
    """Partitions, earliest and latest offsets, and offsets for times, of some topics."""

    def __init__(self, consumer) -> None:
        self._consumer = consumer

    def partitions(self, topics: list[str]) -> list[TopicPartition]:
        found = []
        for topic in topics:
            numbers = self._consumer.partitions_for_topic(topic)
            if not numbers:
                raise ConfigError("--topics", f"topic {topic!r} does not exist on the cluster")
            found += [(topic, n) for n in sorted(numbers)]
        return found

    def earliest(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return self._ask(self._consumer.beginning_offsets, partitions)

    def latest(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The end offsets: one past the last record."""
        return self._ask(self._consumer.end_offsets, partitions)

    def at_time(self, partitions: list[TopicPartition], ms: int) -> dict[TopicPartition, int]:
        """The first offset whose timestamp is at or after ``ms``; the end offset if none."""
        found = self._consumer.offsets_for_times({KafkaTP(t, p): ms for t, p in partitions})
        ends = self.latest(partitions)
        return {
            (tp.topic, tp.partition): found[tp].offset
            if found[tp]
            else ends[(tp.topic, tp.partition)]
            for tp in found
        }

    def _ask(self, call, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        answer = call([KafkaTP(t, p) for t, p in partitions])
        return {(tp.topic, tp.partition): offset for tp, offset in answer.items()}


@contextmanager
def broker_offsets(
    bootstrap_servers: str, kafka_options: dict[str, str], timeout: float = 30.0
) -> Iterator[BrokerOffsets]:
    options = kafka_python_options(bootstrap_servers, kafka_options)
    try:
        consumer = KafkaConsumer(
            request_timeout_ms=int(timeout * 1000) + 1000,
            bootstrap_timeout_ms=int(timeout * 1000),
            enable_auto_commit=False,
            **options,
        )
    except KafkaError as e:
        raise InfrastructureError(
            f"cannot reach Kafka at {bootstrap_servers}: {type(e).__name__} {e}; check "
            "--bootstrap-servers and the --kafka-option security settings"
        ) from None
    try:
        yield BrokerOffsets(consumer)
    except KafkaError as e:
        raise InfrastructureError(
            f"Kafka at {bootstrap_servers} did not answer an offsets request: "
            f"{type(e).__name__} {e}"
        ) from None
    finally:
        consumer.close()
