"""A unittest base class for suites written like PySpark's (``setUpClass``/``tearDownClass``)."""

from __future__ import annotations

import unittest
from typing import ClassVar

from kafka_utils.harness import KafkaUtils


class KafkaTestCase(unittest.TestCase):
    """Starts one broker and one SparkSession per test class; ``self.kafka_utils``, ``self.spark``.

    Set ``with_spark = False`` on a subclass that needs only Kafka.
    """

    kafka_utils: ClassVar[KafkaUtils]
    spark: ClassVar[object | None] = None
    with_spark: ClassVar[bool] = True
    kafka_options: ClassVar[dict] = {}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.kafka_utils = KafkaUtils(**cls.kafka_options).setup()
        cls.addClassCleanup(cls.kafka_utils.teardown)
        if cls.with_spark:
            from jobs.spark_session import build_spark_session

            cls.spark = build_spark_session(cls.__name__)
