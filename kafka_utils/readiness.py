"""Readiness of a Kafka cluster, proven by a real client round trip rather than a log line."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, TopicAlreadyExistsError

from kafka_utils.clients import admin_client
from kafka_utils.errors import BrokerStartError
from kafka_utils.quiet import client_id, quiet_here, silence_own_clients

PROBE_TOPIC = "kafka-utils-readiness"
PROBE_CLIENT = client_id("ready")


def wait_until_ready(
    bootstrap_servers: str,
    expect_brokers: int,
    timeout: float,
    dead_node_report: Callable[[], str | None] = lambda: None,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Return once ``expect_brokers`` brokers are registered and a produce is acknowledged.

    ``client_options`` (e.g. SASL settings) go to the probing kafka-python clients. Raises
    ``BrokerStartError`` at once if ``dead_node_report`` reports a node that exited, and
    ``TimeoutError`` once ``timeout`` seconds have passed.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | str = "no answer yet"
    while time.monotonic() < deadline:
        report = dead_node_report()
        if report:
            raise BrokerStartError(report)
        try:
            listening(bootstrap_servers)
            silence_own_clients()
            with quiet_here():
                _round_trip(bootstrap_servers, expect_brokers, dict(client_options or {}))
            return
        except (KafkaError, OSError, _NotYet) as e:
            last_error = e
        time.sleep(0.2)
    raise TimeoutError(
        f"did not become ready within {timeout:.0f}s at {bootstrap_servers} (last: {last_error})"
    )


class _NotYet(Exception):
    pass


def listening(bootstrap_servers: str, timeout: float = 2.0) -> None:
    """Raise ``OSError`` unless some address accepts TCP: no Kafka client is made (nor logs a
    refused connection) before a broker listens."""
    error: OSError = ConnectionRefusedError(f"nothing listens at {bootstrap_servers}")
    for address in bootstrap_servers.split(","):
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError as e:
            error = e
    raise error


def _round_trip(bootstrap_servers: str, expect_brokers: int, options: dict[str, Any]) -> None:
    admin = admin_client(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=5000,
        bootstrap_timeout_ms=5000,
        client_id=PROBE_CLIENT,
        **options,
    )
    try:
        brokers = admin.describe_cluster()["brokers"]
        if len(brokers) < expect_brokers:
            raise _NotYet(f"{len(brokers)} of {expect_brokers} brokers registered")
        replicas = min(3, expect_brokers)
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(
                {PROBE_TOPIC: {"num_partitions": 1, "replication_factor": replicas}}
            )
    finally:
        admin.close()
    producer = KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        request_timeout_ms=5000,
        max_block_ms=5000,
        client_id=PROBE_CLIENT,
        **options,
    )
    try:
        producer.send(PROBE_TOPIC, b"ready").get(timeout=5)
    finally:
        producer.close(timeout=2)
