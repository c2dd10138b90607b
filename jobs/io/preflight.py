"""Checks against the Kafka cluster before Spark starts: reachable, topics present."""

from __future__ import annotations

import socket
import time

from jobs.core.errors import ConfigError, InfrastructureError
from jobs.core.suggest import did_you_mean
from jobs.io.kafka_client import list_topics

__all__ = ["check_reachable", "check_topics"]


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


def check_topics(
    bootstrap_servers: str, kafka_options: dict[str, str], timeout: float, topics: tuple[str, ...]
) -> None:
    """Log in with the job's credentials, then name the ``topics`` the cluster does not have.
    Runs without topics too (``--topic-pattern``, the audit), so a bad login fails here."""
    existing = list_topics(bootstrap_servers, kafka_options, timeout)
    missing = sorted(set(topics) - existing)
    if missing:
        hints = "".join(did_you_mean(t, existing).replace(" (", f" ({t}: ", 1) for t in missing)
        raise ConfigError("--topics", f"{missing} do not exist on {bootstrap_servers}{hints}")
