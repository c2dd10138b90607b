"""The four Spark patterns of PySpark's Kafka test helper, plus restart and failure behaviour."""

import pytest
from pyspark.sql import functions as F

from kafka_utils import QueryFailedError


def kafka_stream(spark, kafka_utils, topic):
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )


def test_batch_write_then_read(spark, kafka_utils, topic):
    name = topic()
    df = spark.createDataFrame([("key1", "value1"), ("key2", "value2")], ["key", "value"])
    (
        df.selectExpr("CAST(key AS BINARY)", "CAST(value AS BINARY)")
        .write.format("kafka")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .option("topic", name)
        .save()
    )
    read = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .option("subscribe", name)
        .load()
        .selectExpr("CAST(key AS STRING) k", "CAST(value AS STRING) v")
    )
    assert sorted(tuple(r) for r in read.collect()) == [("key1", "value1"), ("key2", "value2")]
    assert kafka_utils.get_all_records(spark, name) == {"key1": "value1", "key2": "value2"}


def test_kafka_to_kafka_stream_with_checkpoint(spark, kafka_utils, topic, tmp_path):
    source, sink = topic(), topic()
    kafka_utils.send_messages(source, [("k1", "v1")])
    query = (
        kafka_stream(spark, kafka_utils, source)
        .selectExpr("key", "CONCAT('processed-', CAST(value AS STRING)) AS value")
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .option("topic", sink)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .start()
    )
    try:
        kafka_utils.wait_for_query_alive(query, timeout=60)
        kafka_utils.assert_eventually(
            lambda: kafka_utils.get_all_records(spark, sink),
            {"k1": "processed-v1"},
            timeout=60,
            query=query,
        )
        kafka_utils.send_messages(source, [("k2", "v2")])
        kafka_utils.assert_eventually(
            lambda: kafka_utils.get_all_records(spark, sink),
            {"k1": "processed-v1", "k2": "processed-v2"},
            timeout=60,
            query=query,
        )
    finally:
        query.stop()


def test_stateful_aggregation(spark, kafka_utils, topic, tmp_path):
    source, sink = topic(), topic()
    kafka_utils.send_messages(source, [("user1", "1"), ("user2", "1"), ("user1", "1")])
    counts = (
        kafka_stream(spark, kafka_utils, source)
        .groupBy("key")
        .count()
        .selectExpr("key", "CAST(CAST(count AS STRING) AS BINARY) AS value")
    )
    query = (
        counts.writeStream.format("kafka")
        .outputMode("update")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .option("topic", sink)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .start()
    )
    try:
        kafka_utils.assert_eventually(
            lambda: kafka_utils.get_all_records(spark, sink),
            {"user1": "2", "user2": "1"},
            timeout=90,
            query=query,
        )
    finally:
        query.stop()


def test_write_to_several_topics_by_a_topic_column(spark, kafka_utils, topic):
    first, second = topic(), topic()
    df = spark.createDataFrame(
        [(first, "key1", "value1"), (second, "key2", "value2")], ["topic", "key", "value"]
    )
    (
        df.selectExpr("topic", "CAST(key AS BINARY)", "CAST(value AS BINARY)")
        .write.format("kafka")
        .option("kafka.bootstrap.servers", kafka_utils.broker)
        .save()
    )
    assert kafka_utils.get_all_records(spark, first) == {"key1": "value1"}
    assert kafka_utils.get_all_records(spark, second) == {"key2": "value2"}


@pytest.mark.slow
def test_restart_on_checkpoint_loses_and_doubles_nothing(spark, kafka_utils, topic, tmp_path):
    source = topic(partitions=3)
    table, checkpoint = str(tmp_path / "table"), str(tmp_path / "checkpoint")

    def start():
        return (
            kafka_stream(spark, kafka_utils, source)
            .select("partition", "offset", F.col("value").cast("string").alias("value"))
            .writeStream.format("delta")
            .option("checkpointLocation", checkpoint)
            .option("maxOffsetsPerTrigger", 100)
            .start(table)
        )

    kafka_utils.send_messages(source, [(f"k{i}", f"a{i}") for i in range(300)])
    query = start()
    kafka_utils.wait_for_query_to_catch_up(query, source, timeout=120)
    query.stop()
    kafka_utils.send_messages(source, [(f"k{i}", f"b{i}") for i in range(200)])
    query = start()
    try:
        kafka_utils.wait_for_query_to_catch_up(query, source, timeout=120)
    finally:
        query.stop()

    rows = spark.read.format("delta").load(table).collect()
    assert len(rows) == 500
    assert len({(r.partition, r.offset) for r in rows}) == 500
    assert {r.value for r in rows} == {f"a{i}" for i in range(300)} | {f"b{i}" for i in range(200)}


def test_a_dying_query_fails_the_wait_at_once_with_its_own_error(
    spark, kafka_utils, topic, tmp_path
):
    source = topic()
    kafka_utils.send_messages(source, [("k", "v")])

    def explode(batch, batch_id):
        if batch.count():
            raise ValueError("processor exploded on purpose")

    query = (
        kafka_stream(spark, kafka_utils, source)
        .writeStream.foreachBatch(explode)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .start()
    )
    try:
        with pytest.raises(QueryFailedError, match="processor exploded on purpose"):
            kafka_utils.assert_eventually(
                lambda: False, True, timeout=300, interval=0.2, query=query
            )
    finally:
        query.stop()
