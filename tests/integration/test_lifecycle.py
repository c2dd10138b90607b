"""The embedded broker never outlives its owner, and start failures explain themselves."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import unittest
from pathlib import Path

import pytest

from kafka_utils import (
    BrokerStartError,
    EmbeddedKafkaCluster,
    KafkaTestCase,
    assert_eventually,
    jar_cache,
)
from kafka_utils import embedded as embedded_module
from kafka_utils.class_archive import ClassArchive
from kafka_utils.timing import scaled

PROJECT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def assert_all_gone(pids: list[int]) -> None:
    assert pids, "no broker pid was recorded"
    assert_eventually(
        lambda: [p for p in pids if alive(p)],
        [],
        timeout=30,
        interval=0.1,
        message="broker JVMs still running",
    )


def run_owner(body: str) -> list[int]:
    """Run a Python process that starts a cluster, prints its JVM pids, then does ``body``."""
    script = textwrap.dedent(f"""
        import json, os, signal, sys
        from kafka_utils import EmbeddedKafkaCluster
        cluster = EmbeddedKafkaCluster().start()
        print(json.dumps(cluster.pids()), flush=True)
        {body}
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=scaled(120),
    )
    assert done.stdout.strip(), f"the owner printed nothing; stderr:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[0])


def test_teardown_stops_every_jvm():
    cluster = EmbeddedKafkaCluster().start()
    pids, workdir = cluster.pids(), cluster.workdir
    assert all(alive(p) for p in pids)
    cluster.stop()
    assert_all_gone(pids)
    assert not workdir.exists()


def test_interpreter_exit_without_teardown_stops_the_jvm():
    assert_all_gone(run_owner("sys.exit(0)"))


def test_killed_owner_takes_its_jvm_along():
    assert_all_gone(run_owner("os.kill(os.getpid(), signal.SIGKILL)"))


def test_a_bad_setting_is_reported_before_any_broker_starts():
    cluster = EmbeddedKafkaCluster(broker_properties={"num.network.threads": "many"})
    with pytest.raises(BrokerStartError) as caught:
        cluster.start()
    message = str(caught.value)
    assert "Kafka node 1: formatting its storage failed" in message
    assert "num.network.threads" in message and "Last lines of" in message


def test_a_broker_that_dies_at_start_reports_its_log_and_leaks_nothing(monkeypatch):
    started = []
    monkeypatch.setattr(embedded_module.JvmProcess, "start", _recording_start(started))
    cluster = EmbeddedKafkaCluster(broker_properties={"authorizer.class.name": "no.such.Authz"})
    with pytest.raises(BrokerStartError) as caught:
        cluster.start()
    message = str(caught.value)
    assert "Kafka node 1 (broker,controller, 127.0.0.1:" in message
    assert "exited with code" in message and "no.such.Authz" in message
    assert_all_gone(started)


@pytest.mark.slow
def test_a_port_clash_is_named(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = iter([port])
        real = embedded_module.free_port
        monkeypatch.setattr(embedded_module, "free_port", lambda: next(ports, None) or real())
        with pytest.raises(BrokerStartError, match="port clash"):
            EmbeddedKafkaCluster(start_timeout=30).start()


def test_start_timeout_gives_the_log_and_stops_the_jvm(monkeypatch):
    started = []
    monkeypatch.setattr(embedded_module.JvmProcess, "start", _recording_start(started))
    # 0.3 s, stretched by KAFKA_UTILS_TIME_SCALE like every deadline (1 s under make test-loaded)
    with pytest.raises(
        BrokerStartError, match=r"did not become ready within \d+s(.|\n)*Last lines"
    ):
        EmbeddedKafkaCluster(start_timeout=0.3).start()
    assert_all_gone(started)


def _recording_start(started: list[int]):
    original = embedded_module.JvmProcess.start

    def start(self):
        original(self)
        started.append(self.pid)

    return start


@pytest.mark.slow
def test_unittest_base_class_gives_kafka_and_spark():
    class Suite(KafkaTestCase):
        def test_round_trip(self):
            self.kafka_utils.create_topics(["unittest-topic"])
            self.kafka_utils.send_messages("unittest-topic", [("k", "v")])
            df = (
                self.spark.read.format("kafka")
                .option("kafka.bootstrap.servers", self.kafka_utils.broker)
                .option("subscribe", "unittest-topic")
                .load()
            )
            self.assertEqual(df.selectExpr("CAST(value AS STRING)").first()[0], "v")

    with open(os.devnull, "w") as quiet:
        result = unittest.TextTestRunner(stream=quiet).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Suite)
        )
    assert result.wasSuccessful(), result.errors + result.failures
    assert not Suite.kafka_utils.initialized, "the class cleanup did not stop the broker"
    assert Suite.kafka_utils.broker is None


@pytest.mark.slow
def test_context_manager_stops_on_error():
    with pytest.raises(RuntimeError, match="inside"), EmbeddedKafkaCluster() as cluster:
        pids = cluster.pids()
        raise RuntimeError("inside")
    assert_all_gone(pids)


def test_brokers_after_the_first_map_its_class_archive():
    archive = ClassArchive(jar_cache.cache_dir() / "cds", jar_cache.classpath("broker"))
    with EmbeddedKafkaCluster():
        pass  # the first broker of a fresh cache writes the archive as it stops
    assert archive.path.is_file()
    with EmbeddedKafkaCluster() as cluster:
        (pid,) = cluster.pids()
        assert str(archive.path) in Path(f"/proc/{pid}/maps").read_text()
