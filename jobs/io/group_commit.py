"""``--commit-group``: after each batch, its end offsets committed to a Kafka consumer group.

Only for visibility in lag tools: Spark's checkpoint stays the source of truth.
"""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from jobs.core.batch_stats import BatchStats
from jobs.io.kafka_client import kafka_python_options

__all__ = ["GroupCommitter"]


class GroupCommitter:
    def __init__(self, group: str, bootstrap_servers: str, kafka_options: dict[str, str]) -> None:
        self.group = group
        self.options = kafka_python_options(bootstrap_servers, kafka_options)
        self._consumer: KafkaConsumer | None = None

    def commit(self, stats: BatchStats) -> None:
        if not stats.partitions:
            return
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                group_id=self.group, enable_auto_commit=False, **self.options
            )
        offsets = {
            TopicPartition(p.topic, p.partition): OffsetAndMetadata(p.end_offset, "", -1)
            for p in stats.partitions
        }
        self._consumer.commit(offsets)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
