"""Where the test broker comes from: an embedded JVM (default), testcontainers, or external."""

from __future__ import annotations

import os
from typing import Literal, Protocol

from kafka_utils.embedded import EmbeddedKafkaCluster
from kafka_utils.errors import BackendUnavailableError
from kafka_utils.security import SaslUsers

BackendName = Literal["embedded", "testcontainers", "external"]
BACKENDS: tuple[BackendName, ...] = ("embedded", "testcontainers", "external")
BACKEND_ENV = "KAFKA_UTILS_BACKEND"
BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
# The image's log.retention.ms: test brokers keep every record whatever its timestamp (embedded.py)
RETENTION_ENV = "KAFKA_LOG_RETENTION_MS"


class Backend(Protocol):
    name: BackendName

    def start(self) -> str:
        """Start (or connect) and return the bootstrap servers."""

    def stop(self) -> None: ...


class EmbeddedBackend:
    name: BackendName = "embedded"

    def __init__(
        self,
        num_brokers: int = 1,
        start_timeout: float = 60.0,
        broker_properties: dict[str, str] | None = None,
        sasl: SaslUsers | None = None,
        tls: bool = False,
    ) -> None:
        self.cluster = EmbeddedKafkaCluster(
            num_brokers, start_timeout, broker_properties, sasl, tls
        )

    def start(self) -> str:
        return self.cluster.start().bootstrap_servers

    def stop(self) -> None:
        self.cluster.stop()


class TestcontainersBackend:
    """A Confluent Kafka image through testcontainers; needs a Docker engine."""

    __test__ = False
    name: BackendName = "testcontainers"

    def __init__(self, kafka_version: str = "7.4.0") -> None:
        self.image = f"confluentinc/cp-kafka:{kafka_version}"
        self._container = None

    def start(self) -> str:
        docker_engine_check()
        from testcontainers.kafka import KafkaContainer

        self._container = KafkaContainer(self.image).with_env(RETENTION_ENV, "-1")
        self._container.start()
        return self._container.get_bootstrap_server()

    def stop(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None


class ExternalBackend:
    """An already running cluster named by ``KAFKA_BOOTSTRAP_SERVERS``; never stopped by us."""

    name: BackendName = "external"

    def __init__(self, bootstrap_servers: str | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers or os.environ.get(BOOTSTRAP_ENV, "")

    def start(self) -> str:
        if not self.bootstrap_servers:
            raise BackendUnavailableError(
                f"the external backend needs {BOOTSTRAP_ENV} (e.g. 127.0.0.1:9092)"
            )
        return self.bootstrap_servers

    def stop(self) -> None:
        pass


def docker_engine_check() -> None:
    """Raise ``BackendUnavailableError`` unless a Docker engine answers a ping."""
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as e:
        raise BackendUnavailableError(
            "the testcontainers backend needs a running Docker engine, and none answered "
            f"({type(e).__name__}: {e}). Use the default embedded backend "
            f"({BACKEND_ENV}=embedded), or start Docker."
        ) from None


def choose_backend_name(requested: str | None = None) -> BackendName:
    """The explicit choice, else ``$KAFKA_UTILS_BACKEND``, else external if
    ``$KAFKA_BOOTSTRAP_SERVERS`` is set, else embedded."""
    name = requested or os.environ.get(BACKEND_ENV)
    if not name:
        name = "external" if os.environ.get(BOOTSTRAP_ENV) else "embedded"
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    return name  # type: ignore[return-value]


def make_backend(
    name: BackendName,
    *,
    kafka_version: str,
    num_brokers: int,
    start_timeout: float,
    broker_properties: dict[str, str] | None,
    sasl: SaslUsers | None = None,
    tls: bool = False,
) -> Backend:
    """The named backend. ``sasl`` and ``tls`` set up the embedded broker's listener; an
    external cluster has its own users (``sasl`` then only logs the clients in) and its own
    certificates; the testcontainers image has neither."""
    if name == "testcontainers" and (sasl or tls):
        raise BackendUnavailableError("SASL and TLS need the embedded backend")
    if name == "external" and tls:
        raise BackendUnavailableError("tls=True makes a certificate: embedded backend only")
    if name == "testcontainers":
        return TestcontainersBackend(kafka_version)
    if name == "external":
        return ExternalBackend()
    return EmbeddedBackend(num_brokers, start_timeout, broker_properties, sasl, tls)
