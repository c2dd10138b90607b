"""A three-broker embedded cluster keeps serving a replication-factor-3 topic with a broker down."""

import pytest

from kafka_utils import KafkaUtils

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster_utils():
    with KafkaUtils(num_brokers=3) as utils:
        yield utils


def in_sync_replicas(utils: KafkaUtils, topic: str) -> list[int]:
    (description,) = utils.admin_client.describe_topics([topic])
    return sorted(len(p["isr_nodes"]) for p in description["partitions"])


def test_three_brokers_register(cluster_utils):
    brokers = cluster_utils.admin_client.describe_cluster()["brokers"]
    assert sorted(b["broker_id"] for b in brokers) == [1, 2, 3]
    assert cluster_utils.cluster.broker_ids == [1, 2, 3]


def test_topic_is_served_while_one_broker_is_down(cluster_utils, unique_name):
    topic = unique_name("rf3")
    cluster_utils.create_topics(
        [topic], num_partitions=3, replication_factor=3, config={"min.insync.replicas": "2"}
    )
    cluster_utils.assert_eventually(lambda: in_sync_replicas(cluster_utils, topic), [3, 3, 3])
    cluster_utils.send_messages(topic, [(f"k{i}", f"before-{i}") for i in range(100)])

    cluster_utils.cluster.stop_broker(2, hard=True)
    assert cluster_utils.cluster.running_brokers() == 2
    cluster_utils.send_messages(topic, [(f"k{i}", f"during-{i}") for i in range(100)])
    values = {r.value for r in cluster_utils.read_records(topic)}
    assert len(values) == 200

    cluster_utils.cluster.start_broker(2)
    cluster_utils.assert_eventually(
        lambda: in_sync_replicas(cluster_utils, topic), [3, 3, 3], timeout=60
    )
    cluster_utils.send_messages(topic, [(f"k{i}", f"after-{i}") for i in range(100)])
    records = cluster_utils.read_records(topic)
    assert len(records) == 300
    assert len({(r.partition, r.offset) for r in records}) == 300
