"""Checks against the Kafka cluster before Spark starts: reachable, topics present."""

from __future__ import annotations

import socket
import time

from jobs.config.stream import JobConfig
from jobs.core.errors import ConfigError, InfrastructureError
from jobs.io.kafka_client import list_topics


def check_reachable(bootstrap_servers: str, timeout: float) -> None:
    """Return once one bootstrap address accepts a TCP connection; fail after ``timeout``."""
    addresses = [a.strip() for a in bootstrap_servers.split(",") if a.strip()]
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while True:
        for address in addresses:
            host, _, port = address.rpartition(":")
            try:
                with socket.create_connection((host, int(port)), timeout=min(timeout, 5)):
                    return
            except (OSError, ValueError) as e:
                last = f"{address}: {getattr(e, 'strerror', None) or e}"
        if time.monotonic() >= deadline:
            raise InfrastructureError(
                f"no Kafka broker answered at {bootstrap_servers} within {timeout:g}s "
                f"(last error {last}); check --bootstrap-servers and that the brokers are up"
            )
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def check_topics(config: JobConfig) -> None:
    """Log in with the job's credentials, then name the topics in ``--topics`` that the
    cluster does not have. Runs with ``--topic-pattern`` too, so a bad login fails here."""
    existing = list_topics(config.bootstrap_servers, config.kafka_options, config.broker_timeout)
    missing = sorted(set(config.topics) - existing)
    if missing:
        raise ConfigError("--topics", f"{missing} do not exist on {config.bootstrap_servers}")
