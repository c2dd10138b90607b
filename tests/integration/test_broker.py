"""KafkaUtils against the real embedded broker: topics, produce/consume, groups and offsets."""

import collections
import threading
import time

import pytest
from kafka import KafkaConsumer
from kafka.errors import InvalidReplicationFactorError

from kafka_utils import KafkaUtils, Message, assert_eventually

# the broker's retention task: first run at once (not after 30 s), then every 200 ms
FAST_RETENTION_CHECK = {"log.initial.task.delay.ms": "0", "log.retention.check.interval.ms": "200"}


def test_broker_answers_with_cluster_metadata(kafka_utils):
    host, _, port = kafka_utils.broker.partition(":")
    assert host == "127.0.0.1" and int(port) > 0
    cluster = kafka_utils.admin_client.describe_cluster()
    assert [b["host"] for b in cluster["brokers"]] == ["127.0.0.1"]
    assert cluster["cluster_id"]


def test_topics_with_one_and_three_partitions(kafka_utils, unique_name):
    one, three = unique_name("one"), unique_name("three")
    kafka_utils.create_topics([one])
    kafka_utils.create_topics([three], num_partitions=3)
    assert kafka_utils.end_offsets(one) == {0: 0}
    assert kafka_utils.end_offsets(three) == {0: 0, 1: 0, 2: 0}
    kafka_utils.delete_topics([one, three])
    assert not {one, three} & set(kafka_utils.admin_client.list_topics())


def test_round_trip_keeps_bytes_str_none_and_headers(kafka_utils, topic):
    name = topic()
    raw = bytes(range(256))
    kafka_utils.send_messages(
        name,
        [
            (b"\x00\xff", raw),
            ("ключ", "значение"),
            (None, "no key"),
            ("tombstone", None),
            ("h", "with headers", [("trace", b"\x01\x02"), ("text", "yes"), ("empty", b"")]),
        ],
    )
    got = kafka_utils.read_records(name)
    assert [(r.key, r.value) for r in got] == [
        (b"\x00\xff", raw),
        ("ключ".encode(), "значение".encode()),
        (None, b"no key"),
        (b"tombstone", None),
        (b"h", b"with headers"),
    ]
    assert got[-1].headers == (("trace", b"\x01\x02"), ("text", b"yes"), ("empty", b""))
    assert [r.offset for r in got] == [0, 1, 2, 3, 4]


def test_explicit_partition_and_timestamp(kafka_utils, topic):
    name = topic(partitions=3)
    acks = kafka_utils.send_messages(
        name,
        [
            Message(key="a", value="x", partition=2, timestamp_ms=1_700_000_000_000),
            {"key": "b", "value": "y", "partition": 0, "timestamp_ms": 1_700_000_360_000},
        ],
    )
    assert acks == [(2, 0), (0, 0)]
    got = {r.partition: r.timestamp for r in kafka_utils.read_records(name)}
    assert got == {2: 1_700_000_000_000, 0: 1_700_000_360_000}


def test_creating_an_existing_topic_leaves_it_as_it_is(kafka_utils, topic):
    name = topic(partitions=2)
    kafka_utils.send_messages(name, [Message("k", "v", partition=1)])
    kafka_utils.create_topics([name], num_partitions=5)
    assert kafka_utils.end_offsets(name) == {0: 0, 1: 1}


def test_other_refusals_raise_kafkas_error_naming_the_topic(kafka_utils, unique_name):
    name = unique_name("rf3")
    with pytest.raises(InvalidReplicationFactorError, match=name):
        kafka_utils.create_topics([name], replication_factor=3)


def test_deleting_a_missing_topic_is_ignored(kafka_utils, topic, unique_name):
    name = topic()
    kafka_utils.delete_topics([name, unique_name("never-created")])
    assert name not in kafka_utils.admin_client.list_topics()


def test_ten_thousand_messages_complete_ordered_and_unique(kafka_utils, topic):
    name = topic(partitions=3)
    sent = [(f"key-{i % 50}", f"{i}") for i in range(10_000)]
    acks = kafka_utils.send_messages(name, sent)
    got = kafka_utils.read_records(name)

    assert len(got) == 10_000
    assert len({(r.partition, r.offset) for r in got}) == 10_000
    assert sorted(int(r.value) for r in got) == list(range(10_000))
    for partition in range(3):
        offsets = [r.offset for r in got if r.partition == partition]
        assert offsets == list(range(len(offsets)))
    per_key = collections.defaultdict(list)
    for r in got:
        per_key[r.key].append(int(r.value))
    assert all(values == sorted(values) for values in per_key.values())
    assert {p for p, _ in acks} == {0, 1, 2}


def test_consumer_group_resumes_after_its_committed_offset(kafka_utils, topic, unique_name):
    name, group = topic(), unique_name("group")
    kafka_utils.send_messages(name, [(None, f"first-{i}") for i in range(5)])

    def consume(expected: int) -> list[bytes]:
        consumer = KafkaConsumer(
            name,
            bootstrap_servers=kafka_utils.broker,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        values: list[bytes] = []
        try:
            kafka_utils.assert_eventually(
                lambda: (
                    values.extend(r.value for b in consumer.poll(500).values() for r in b)
                    or len(values)
                ),
                expected,
                timeout=30,
                interval=0,
            )
            consumer.commit()
        finally:
            consumer.close()
        return values

    assert consume(5) == [f"first-{i}".encode() for i in range(5)]
    assert kafka_utils.committed_offsets(group, name) == {0: 5}
    kafka_utils.send_messages(name, [(None, f"second-{i}") for i in range(3)])
    assert kafka_utils.consumer_lag(group, name) == {0: 3}
    assert consume(3) == [f"second-{i}".encode() for i in range(3)]
    assert kafka_utils.consumer_lag(group, name) == {0: 0}


def test_lag_of_a_group_that_never_committed_is_the_whole_topic(kafka_utils, topic, unique_name):
    name = topic(partitions=2)
    kafka_utils.send_messages(name, [Message("k", "v", partition=1)] * 4)
    group = unique_name("idle")
    assert kafka_utils.committed_offsets(group, name) == {0: None, 1: None}
    assert kafka_utils.consumer_lag(group, name) == {0: 0, 1: 4}


def test_records_with_timestamps_weeks_old_are_kept_unless_the_topic_says_otherwise(unique_name):
    """Kafka's default retention (7 days, counted from each record's timestamp) would delete
    test data with fixed dates a week after those dates: test brokers keep everything."""
    month_ago = int((time.time() - 30 * 24 * 3600) * 1000)
    kept, short = unique_name("kept"), unique_name("short")
    with KafkaUtils(broker_properties=FAST_RETENTION_CHECK) as utils:
        utils.create_topics([kept])
        utils.create_topics([short], config={"retention.ms": "1000"})
        for name in (kept, short):
            utils.send_messages(name, [Message("k", "old", timestamp_ms=month_ago)])
        # the topic with its own retention is the proof that the broker's check has run
        assert_eventually(lambda: utils.read_records(short), [], timeout=60, interval=0.5)
        assert [r.value for r in utils.read_records(kept)] == [b"old"]


def test_the_producer_stays_idle_after_topics_it_sent_to_are_deleted(kafka_utils, unique_name):
    """kafka-python's producer spins a core once a partition it sent to has lost its topic; the
    harness replaces it when it deletes topics. Observed over a few seconds of quiet: CPU time
    of this process, which a spinning sender thread fills."""
    first, second = unique_name("gone"), unique_name("next")
    for name in (first, second):
        kafka_utils.create_topics([name], num_partitions=3)
        kafka_utils.send_messages(name, [("k", "v")] * 3)  # the second learns the first is gone
        kafka_utils.delete_topics([name])
    before, began = time.process_time(), time.monotonic()
    threading.Event().wait(3)  # a window to observe, not a synchronisation
    busy = (time.process_time() - before) / (time.monotonic() - began)
    assert busy < 0.3, f"{busy:.0%} of a core used while nothing was sent"
