"""Broker loss on a three-broker cluster (replication factor 3, min.insync.replicas 2): the job
goes on through one broker's death and return; through the whole cluster's absence it either
rides it out or stops with a clear error; either way the audit is clean in the end."""

from __future__ import annotations

import signal
import subprocess

import pytest

from jobs.core import exit_codes
from kafka_utils import KafkaUtils, assert_eventually
from kafka_utils.pytest_plugin import new_name
from kafka_utils.timing import scaled
from tests.e2e.producing import ContinuousProducer
from tests.e2e.test_crash_matrix import batches_logged
from tests.integration.job_runs import JobPaths, run_in_process, start_subprocess
from tests.integration.test_replay import run_audit

# a run through a broker's loss, then the audit: more than pytest's default 600 s on a busy machine
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1800)]

PROCESSOR = "jobs.processors.builtin:json_events"


@pytest.fixture(scope="module")
def cluster():
    with KafkaUtils(num_brokers=3) as utils:
        yield utils


@pytest.fixture
def replicated_topic(cluster) -> str:
    name = new_name("rf3")
    cluster.create_topics([name], 3, 3, {"min.insync.replicas": "2"})
    return name


def job_args(cluster, name: str, paths: JobPaths) -> list[str]:
    return [
        *paths.args(cluster.broker, name, PROCESSOR),
        "--trigger",
        "processing-time=0s",
        "--max-offsets-per-trigger",
        "300",
    ]


def wait_for_batches(log, more: int, timeout: float = 240) -> None:
    target = batches_logged(log) + more
    assert_eventually(lambda: batches_logged(log) >= target, True, timeout=timeout, interval=0.2)


def finish_and_audit(cluster, args, paths, produced, capsys) -> dict:
    assert run_in_process([*args[:-4], "--trigger", "available-now"]) == 0
    code, report = run_audit(paths, capsys, "--bootstrap-servers", cluster.broker)
    assert code == 0, report["problems"]
    totals = report["totals"]
    assert totals["backed_up"] == len(produced)
    assert totals["output"] + totals["dlq"] + totals["filtered"] == len(produced)
    return report


def test_one_broker_killed_mid_stream_and_restarted(
    cluster, replicated_topic, spark, tmp_path, capsys
):
    paths = JobPaths(tmp_path)
    args = job_args(cluster, replicated_topic, paths)
    producer = ContinuousProducer(cluster, replicated_topic, 50_000, per_send=10, every=0.2)
    producer.start()
    log = tmp_path / "job.log"
    job = start_subprocess(args, log)
    wait_for_batches(log, 2)

    cluster.cluster.stop_broker(2, hard=True)
    wait_for_batches(log, 3)
    cluster.cluster.start_broker(2)
    wait_for_batches(log, 2)
    produced = producer.finish()
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=scaled(180)) == exit_codes.STOPPED, log.read_text()[-3000:]

    finish_and_audit(cluster, args, paths, produced, capsys)


def test_whole_cluster_down_for_a_while(cluster, replicated_topic, spark, tmp_path, capsys):
    paths = JobPaths(tmp_path)
    args = job_args(cluster, replicated_topic, paths)
    before = ContinuousProducer(cluster, replicated_topic, 50_000, per_send=10, every=0.2, seed=1)
    before.start()
    log = tmp_path / "job.log"
    job = start_subprocess(args, log)
    wait_for_batches(log, 2)
    produced = before.finish()

    for broker in cluster.cluster.broker_ids:
        cluster.cluster.stop_broker(broker, hard=True)
    try:
        ended = job.wait(timeout=30)  # how long the cluster stays away
    except subprocess.TimeoutExpired:
        ended = None
    cluster.cluster.start_brokers(*cluster.cluster.broker_ids)

    after = ContinuousProducer(cluster, replicated_topic, 600, per_send=50, every=0.1, seed=2)
    after.start()
    produced |= after.finish()
    if ended is None:  # rode it out: it goes on once the cluster is back
        wait_for_batches(log, 1, timeout=300)
        job.send_signal(signal.SIGTERM)
        assert job.wait(timeout=scaled(180)) == exit_codes.STOPPED, log.read_text()[-3000:]
    else:  # stopped: with a clear error, not a bare JVM stack
        text = log.read_text()
        assert ended == 1, text[-3000:]
        assert "the streaming query failed" in text

    finish_and_audit(cluster, args, paths, produced, capsys)
