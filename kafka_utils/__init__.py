"""KafkaUtils: real Kafka brokers for Spark tests, and eventual-consistency assertions.

>>> with KafkaUtils() as kafka:
...     kafka.create_topics(["events"], num_partitions=3)
...     kafka.send_messages("events", [("k", "v")])
"""

from kafka_utils.assertions import assert_eventually, wait_for_query_alive
from kafka_utils.embedded import EmbeddedKafkaCluster
from kafka_utils.errors import (
    BackendUnavailableError,
    BrokerStartError,
    JarsUnavailableError,
    KafkaUtilsError,
    NotSetUpError,
    QueryFailedError,
)
from kafka_utils.harness import KafkaUtils
from kafka_utils.records import Message, Record
from kafka_utils.security import SaslUsers

__all__ = [
    "BackendUnavailableError",
    "BrokerStartError",
    "EmbeddedKafkaCluster",
    "JarsUnavailableError",
    "KafkaUtils",
    "KafkaUtilsError",
    "Message",
    "NotSetUpError",
    "QueryFailedError",
    "Record",
    "SaslUsers",
    "assert_eventually",
    "wait_for_query_alive",
]
