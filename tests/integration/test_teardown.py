"""teardown() never hangs, never raises and leaves no client behind, whatever came before."""

import logging
import os
import signal
import threading
import time

import pytest

from kafka_utils import BrokerStartError, KafkaUtils, assert_eventually


def client_threads(ignore: set[threading.Thread] = frozenset()) -> list[str]:
    """Threads of the harness's Kafka clients, but those in ``ignore`` (other tests' clients)."""
    return [t.name for t in threading.enumerate() if "kafka-utils-" in t.name and t not in ignore]


@pytest.mark.slow
def test_teardown_after_the_broker_was_killed_is_bounded_quiet_and_complete(caplog):
    others = set(threading.enumerate())
    utils = KafkaUtils().setup()
    utils.create_topics(["doomed"])
    utils.send_messages("doomed", [("k", "sent")])
    for pid in utils.cluster.pids():
        os.kill(pid, signal.SIGKILL)
    utils.producer.send("doomed", key="k", value="never acknowledged")  # pending at teardown

    caplog.set_level(logging.DEBUG, logger="kafka")
    started, started_at = time.monotonic(), time.time()
    utils.teardown()
    elapsed = time.monotonic() - started

    assert elapsed < 60, f"teardown took {elapsed:.0f} s"  # a deadline guard, not a target
    assert utils.broker is None and not utils.initialized
    assert_eventually(lambda: client_threads(others), [], timeout=30, interval=0.1)
    noise = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("kafka.")
        and r.levelno >= logging.WARNING
        and r.created > started_at + 0.5  # the producer logged the kill before teardown began
    ]
    assert noise == []
    utils.teardown()


def test_teardown_after_a_failed_setup_and_twice():
    utils = KafkaUtils(broker_properties={"num.network.threads": "many"})
    with pytest.raises(BrokerStartError):
        utils.setup()
    utils.teardown()
    utils.teardown()
    assert utils.broker is None and not utils.initialized
