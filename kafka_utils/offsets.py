"""End offsets and consumer-group positions, read with short-lived kafka-python clients."""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka import errors as Errors

from kafka_utils.timing import ask_again, scaled

__all__ = ["committed_offsets", "end_offsets"]


def end_offsets(bootstrap_servers: str, topic: str, **client_options: Any) -> dict[int, int]:
    """The log-end offset of each partition of ``topic`` (empty if the topic is unknown)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **client_options
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


# A broker that has just started has no group coordinator until it has created and loaded
# __consumer_offsets: seconds, during which it answers these.
_COORDINATOR_NOT_READY = (
    Errors.CoordinatorNotAvailableError,
    Errors.CoordinatorLoadInProgressError,
    Errors.NotCoordinatorError,
)


def committed_offsets(
    admin: KafkaAdminClient, group_id: str, topic: str, timeout: float = 30.0
) -> dict[int, int]:
    """The offsets ``group_id`` has committed, per partition of ``topic`` that has one; asks
    again every 0.2 s while the broker's group coordinator is not ready, for ``timeout`` s."""
    answer = ask_again(
        lambda: admin.list_group_offsets({group_id: None}), _COORDINATOR_NOT_READY, scaled(timeout)
    )
    found = answer.get(group_id, {})
    return {tp.partition: meta.offset for tp, meta in found.items() if tp.topic == topic}
