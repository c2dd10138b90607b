"""A cluster that an earlier test broke is replaced before the next test uses it."""

import os
import signal

import pytest

from kafka_utils import KafkaUtils, assert_eventually


@pytest.mark.slow
def test_a_killed_cluster_is_replaced_in_place_and_serves_again():
    utils = KafkaUtils().setup()
    try:
        assert utils.is_healthy() and not utils.ensure_serving()
        broken = utils.broker
        for pid in utils.cluster.pids():
            os.kill(pid, signal.SIGKILL)
        assert_eventually(utils.is_healthy, False, timeout=30, interval=0.1)

        assert utils.ensure_serving()
        assert utils.is_healthy() and utils.broker != broken
        utils.create_topics(["after-repair"])
        assert utils.send_messages("after-repair", [("k", "v")]) == [(0, 0)]
    finally:
        utils.teardown()


def test_a_cluster_not_set_up_is_not_healthy():
    utils = KafkaUtils()
    assert not utils.is_healthy()
