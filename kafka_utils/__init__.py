"""KafkaUtils: real Kafka brokers for Spark tests, and eventual-consistency assertions.

A drop-in for PySpark's own Kafka test helper (``pyspark/sql/tests/streaming/kafka_utils.py``):

>>> with KafkaUtils() as kafka:
...     kafka.create_topics(["events"], num_partitions=3)
...     kafka.send_messages("events", [("k", "v"), (1, b"\\x00raw")])

With pytest, the ``kafka_utils``, ``spark``, ``topic`` and ``unique_name`` fixtures come with
the package; unittest suites subclass :class:`KafkaTestCase`; :func:`configure` gives your own
SparkSession builder the Kafka connector.
"""

import warnings

# kafka-python reads its protocol schemas with importlib.resources.read_text, deprecated since
# Python 3.11: some 200 DeprecationWarnings at its import (which pytest shows in every user's
# run) that only kafka-python can fix. Imported here first, without them.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "(read|open)_text is deprecated", DeprecationWarning)
    import kafka  # noqa: F401

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
from kafka_utils.key_values import KeyValueList
from kafka_utils.records import Message, Record
from kafka_utils.security import SaslUsers
from kafka_utils.spark_session import configure, spark_conf
from kafka_utils.testcase import KafkaTestCase

__all__ = [
    "BackendUnavailableError",
    "BrokerStartError",
    "EmbeddedKafkaCluster",
    "JarsUnavailableError",
    "KafkaTestCase",
    "KafkaUtils",
    "KafkaUtilsError",
    "KeyValueList",
    "Message",
    "NotSetUpError",
    "QueryFailedError",
    "Record",
    "SaslUsers",
    "assert_eventually",
    "configure",
    "spark_conf",
    "wait_for_query_alive",
]
