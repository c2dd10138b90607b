"""The external and testcontainers backends, beside the default embedded one."""

import pytest

from kafka_utils import KafkaUtils
from kafka_utils.backends import docker_engine_check
from kafka_utils.errors import BackendUnavailableError


def round_trip(utils: KafkaUtils, topic: str) -> list[tuple[bytes, bytes]]:
    utils.create_topics([topic])
    utils.send_messages(topic, [("k", "v")])
    return [(r.key, r.value) for r in utils.read_records(topic)]


def test_external_backend_uses_the_named_cluster_and_leaves_it_running(
    kafka_utils, unique_name, monkeypatch
):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_utils.broker)
    with KafkaUtils() as external:
        assert external.backend_name == "external"
        assert external.broker == kafka_utils.broker
        assert round_trip(external, unique_name("ext")) == [(b"k", b"v")]
    assert kafka_utils.admin_client.describe_cluster()["brokers"]


def test_testcontainers_backend_when_docker_answers(unique_name):
    try:
        docker_engine_check()
    except BackendUnavailableError as e:
        pytest.skip(str(e))
    with KafkaUtils(backend="testcontainers") as utils:
        assert round_trip(utils, unique_name("tc")) == [(b"k", b"v")]
