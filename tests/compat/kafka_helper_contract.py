"""What a test written for PySpark's Kafka test helper expects of ``KafkaUtils``.

Written the way PySpark's own Kafka tests are (unittest, ``ReusedSQLTestCase``, one helper per
class, ``setup()``/``teardown()`` by hand), so that the import of ``KafkaUtils`` is the only
line that differs between the helpers it runs against; ``tests/integration/
test_pyspark_compat.py`` rewrites that line. Each test states a behaviour of PySpark's helper;
those only one generation of it has are marked with ``generation(...)``: "current" (sorted
list of pairs, query exceptions raised) or "reference" (the ``{key: value}`` dict of PySpark's
older helper and of its API document). Our helper runs every test.

The Kafka connector comes in through ``PYSPARK_SUBMIT_ARGS=--jars …``, as in PySpark's tests.
"""

import os
import shutil
import tempfile
import time
import unittest
import uuid

from pyspark.errors import StreamingQueryException
from pyspark.testing.sqlutils import ReusedSQLTestCase

from kafka_utils import KafkaUtils  # the helper under test

GENERATIONS = os.environ.get("KAFKA_HELPER_GENERATIONS", "current,reference").split(",")


def generation(name):
    return unittest.skipUnless(name in GENERATIONS, f"a behaviour of PySpark's {name} helper")


def pairs(records):
    """The ``(key, value)`` pairs of either generation's result, sorted."""
    return sorted(records.items() if isinstance(records, dict) else records)


class KafkaHelperContract(ReusedSQLTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kafka_utils = KafkaUtils()
        cls.kafka_utils.setup()

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "kafka_utils"):
            cls.kafka_utils.teardown()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.topic = f"contract-{uuid.uuid4().hex}"
        self.kafka_utils.create_topics([self.topic])

    def tearDown(self):
        self.kafka_utils.delete_topics([self.topic])
        super().tearDown()

    def records(self, topic=None, **deserializers):
        return self.kafka_utils.get_all_records(self.spark, topic or self.topic, **deserializers)

    def write_with_spark(self, rows):
        df = self.spark.createDataFrame(rows, "key binary, value binary")
        (
            df.write.format("kafka")
            .option("kafka.bootstrap.servers", self.kafka_utils.broker)
            .option("topic", self.topic)
            .save()
        )

    def start_query(self, sink, **kafka_sink):
        tmpdir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmpdir, True)
        source = (
            self.spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", self.kafka_utils.broker)
            .option("subscribe", self.topic)
            .option("startingOffsets", "earliest")
            .load()
        )
        writer = source.writeStream.option("checkpointLocation", os.path.join(tmpdir, "ckpt"))
        query = sink(writer).start()
        self.addCleanup(query.stop)
        return query

    # -- lifecycle and attributes ------------------------------------------------------------

    def test_a_new_helper_has_no_broker_and_is_not_initialized(self):
        fresh = KafkaUtils()
        self.assertIsNone(fresh.broker)
        self.assertFalse(fresh.initialized)
        self.assertEqual(fresh.kafka_version, "7.4.0")
        self.assertEqual(KafkaUtils("7.5.0").kafka_version, "7.5.0")
        self.assertTrue(self.kafka_utils.initialized)
        host, _, port = self.kafka_utils.broker.rpartition(":")
        self.assertTrue(host and int(port) > 0)

    def test_setup_twice_is_one_cluster_and_teardown_twice_is_safe(self):
        helper = KafkaUtils()
        helper.teardown()
        helper.setup()
        try:
            broker = helper.broker
            helper.setup()
            self.assertEqual(helper.broker, broker)
        finally:
            helper.teardown()
        helper.teardown()
        self.assertIsNone(helper.broker)
        self.assertFalse(helper.initialized)

    def test_calls_before_setup_raise_a_runtime_error(self):
        fresh = KafkaUtils()
        for call in (
            lambda: fresh.create_topics(["t"]),
            lambda: fresh.delete_topics(["t"]),
            lambda: fresh.send_messages("t", [("k", "v")]),
            lambda: fresh.get_all_records(self.spark, "t"),
            lambda: fresh.producer,
            lambda: fresh.admin_client,
        ):
            with self.assertRaisesRegex(RuntimeError, r"Call setup\(\) first"):
                call()

    # -- topics ------------------------------------------------------------------------------

    def test_creating_an_existing_topic_is_ignored_and_the_others_are_created(self):
        other = f"contract-{uuid.uuid4().hex}"
        self.kafka_utils.create_topics([self.topic])
        self.kafka_utils.create_topics([self.topic, other])
        self.addCleanup(self.kafka_utils.delete_topics, [other])
        self.kafka_utils.assert_eventually(
            lambda: other in set(self.kafka_utils.admin_client.list_topics()), True, timeout=30
        )

    def test_deleting_a_missing_topic_is_ignored(self):
        self.kafka_utils.delete_topics([f"missing-{uuid.uuid4().hex}"])

    def test_several_partitions(self):
        topic = f"contract-{uuid.uuid4().hex}"
        self.kafka_utils.create_topics([topic], num_partitions=3)
        self.addCleanup(self.kafka_utils.delete_topics, [topic])
        self.kafka_utils.assert_eventually(
            lambda: len(self.kafka_utils.producer.partitions_for(topic)), 3, timeout=30
        )

    # -- producing ---------------------------------------------------------------------------

    def test_the_producer_serializes_keys_and_values_with_str(self):
        producer = self.kafka_utils.producer
        producer.send(self.topic, key=1, value=1).get(timeout=10)
        producer.send(self.topic, key=2.5, value="zwei").get(timeout=10)
        producer.send(self.topic, key="tombstone", value=None).get(timeout=10)
        producer.flush()
        self.assertEqual(pairs(self.records()), [("1", "1"), ("2.5", "zwei"), ("tombstone", None)])

    def test_send_messages_takes_any_value_and_str_serializes_it(self):
        self.kafka_utils.send_messages(self.topic, [(1, 10), ("a", 2.5), ("b", None), ["c", "d"]])
        self.assertEqual(
            pairs(self.records()), [("1", "10"), ("a", "2.5"), ("b", None), ("c", "d")]
        )

    # -- reading through Spark ---------------------------------------------------------------

    @generation("current")
    def test_get_all_records_is_the_sorted_list_of_pairs_duplicates_kept(self):
        self.kafka_utils.send_messages(self.topic, [("b", "2"), ("a", "1"), ("b", "2")])
        self.assertEqual(self.records(), [("a", "1"), ("b", "2"), ("b", "2")])

    @generation("reference")
    def test_get_all_records_is_the_dict_of_keys_to_values(self):
        self.kafka_utils.send_messages(self.topic, [("k2", "v2"), ("k1", "v1")])
        self.assertEqual(self.records(), {"k1": "v1", "k2": "v2"})

    @generation("reference")
    def test_the_dict_keeps_the_last_value_of_a_key(self):
        self.kafka_utils.send_messages(self.topic, [("k", "first"), ("k", "last")])
        self.assertEqual(self.records(), {"k": "last"})

    @generation("current")
    def test_get_all_records_of_an_empty_topic(self):
        self.assertEqual(self.records(), [])

    def test_get_all_records_casts_in_spark_so_bad_utf8_becomes_a_replacement_character(self):
        self.write_with_spark([(bytearray(b"k"), bytearray(b"\xffok"))])
        self.assertEqual(pairs(self.records()), [("k", "\ufffdok")])

    def test_get_all_records_with_a_binary_value(self):
        self.write_with_spark([(bytearray(b"k"), bytearray(b"\xff"))])
        self.assertEqual(pairs(self.records(value_deserializer="BINARY")), [("k", b"\xff")])

    # -- waiting -----------------------------------------------------------------------------

    def test_assert_eventually_returns_once_the_result_equals_the_expected_one(self):
        calls = []
        self.kafka_utils.assert_eventually(
            result_func=lambda: calls.append(1) or len(calls), expected=3, timeout=30, interval=0.01
        )
        self.assertEqual(len(calls), 3)

    def test_assert_eventually_fails_with_expected_and_last_result(self):
        with self.assertRaises(AssertionError) as caught:
            self.kafka_utils.assert_eventually(lambda: [1], [2], timeout=0.5, interval=0.1)
        self.assertTrue(
            str(caught.exception).startswith(
                "Condition not met within 0.5s. Expected: [2], Got: [1]"
            )
        )

    def test_assert_eventually_lets_an_exception_of_the_result_function_through(self):
        calls = []

        def broken():
            calls.append(1)
            raise ValueError("no result")

        started = time.monotonic()
        with self.assertRaisesRegex(ValueError, "no result"):
            self.kafka_utils.assert_eventually(broken, 1, timeout=60, interval=0.1)
        self.assertEqual(len(calls), 1)
        self.assertLess(time.monotonic() - started, 30)  # a guard, far from the timeout

    def test_wait_for_query_alive_returns_for_a_running_query(self):
        self.kafka_utils.send_messages(self.topic, [("k", "v")])
        query = self.start_query(lambda w: w.format("memory").queryName(f"q{uuid.uuid4().hex}"))
        self.kafka_utils.wait_for_query_alive(query, timeout=120)
        self.assertTrue(query.isActive)

    @generation("current")
    def test_wait_for_query_alive_raises_the_querys_own_exception(self):
        def explode(batch, batch_id):
            raise ValueError("exploded on purpose")

        self.kafka_utils.send_messages(self.topic, [("k", "v")])
        query = self.start_query(lambda w: w.foreachBatch(explode))
        with self.assertRaises(StreamingQueryException):
            query.awaitTermination(120)
        with self.assertRaisesRegex(StreamingQueryException, "exploded on purpose"):
            self.kafka_utils.wait_for_query_alive(query, timeout=5)

    @generation("current")
    def test_kafka_to_kafka_stream_sends_every_record_on(self):
        sink = f"contract-{uuid.uuid4().hex}"
        self.kafka_utils.create_topics([sink])
        self.addCleanup(self.kafka_utils.delete_topics, [sink])
        for i in range(10):
            self.kafka_utils.producer.send(self.topic, key=i, value=i).get(timeout=10)
        self.kafka_utils.producer.flush()
        query = self.start_query(
            lambda w: (
                w.format("kafka")
                .option("kafka.bootstrap.servers", self.kafka_utils.broker)
                .option("topic", sink)
            )
        )
        self.kafka_utils.wait_for_query_alive(query, timeout=120)
        self.kafka_utils.assert_eventually(
            result_func=lambda: self.records(sink),
            expected=sorted((str(i), str(i)) for i in range(10)),
            timeout=120,
        )


if __name__ == "__main__":
    unittest.main(verbosity=2)
