"""A unittest base class for suites written like PySpark's (``setUpClass``/``tearDownClass``)."""

from __future__ import annotations

import unittest
from typing import Any, ClassVar

from kafka_utils.harness import KafkaUtils

__all__ = ["KafkaTestCase"]


class KafkaTestCase(unittest.TestCase):
    """One Kafka cluster per test class (``self.kafka_utils``) and a SparkSession with the Kafka
    connector and Delta (``self.spark``), shared by the process and stopped at its exit.

    Class attributes: ``with_spark = False`` for a suite that needs only Kafka;
    ``kafka_options`` for :class:`KafkaUtils` (e.g. ``{"num_brokers": 3}``); ``spark_options``
    for extra Spark settings, which win over the harness's.
    """

    kafka_utils: ClassVar[KafkaUtils]
    spark: ClassVar[Any] = None
    with_spark: ClassVar[bool] = True
    kafka_options: ClassVar[dict[str, Any]] = {}
    spark_options: ClassVar[dict[str, str]] = {}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.kafka_utils = KafkaUtils(**cls.kafka_options)
        cls.addClassCleanup(cls.kafka_utils.teardown)
        cls.kafka_utils.setup()
        if cls.with_spark:
            from kafka_utils.spark_session import start_session

            cls.spark = start_session(cls.__name__, cls.spark_options)
