"""KafkaUtils: a real Kafka for Spark tests, a drop-in for PySpark's own Kafka test helper."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import suppress
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError

from kafka_utils import assertions, offsets, records
from kafka_utils import topics as topic_admin
from kafka_utils.backends import Backend, choose_backend_name, make_backend
from kafka_utils.clients import READER_CLIENT, close_clients, make_admin, make_producer
from kafka_utils.embedded import EmbeddedKafkaCluster
from kafka_utils.errors import KafkaUtilsError, NotSetUpError
from kafka_utils.key_values import KeyValueList, read_key_values
from kafka_utils.quiet import silence_own_clients
from kafka_utils.records import Record
from kafka_utils.security import SaslUsers
from kafka_utils.timing import scaled

__all__ = ["KafkaUtils"]

logger = logging.getLogger(__name__)


class KafkaUtils:
    """Start a Kafka cluster for tests and talk to it with plain Kafka clients.

    ``backend`` is ``"embedded"`` (a real broker run as a JVM, the default),
    ``"testcontainers"`` (needs Docker) or ``"external"`` (``$KAFKA_BOOTSTRAP_SERVERS``).
    ``kafka_version`` picks the testcontainers image, as in PySpark's helper. With ``sasl``
    the embedded broker takes logins of those users only, and every client of this object
    logs in (with ``external``: the cluster's users, given here); with ``tls`` it speaks TLS
    with a self-signed certificate that the clients trust.

    As in PySpark's helper, ``broker`` is the bootstrap servers string (None before
    ``setup()`` and after ``teardown()``) and ``initialized`` says whether ``setup()`` ran.
    """

    def __init__(
        self,
        kafka_version: str = "7.4.0",
        *,
        backend: str | None = None,
        num_brokers: int = 1,
        start_timeout: float = 60.0,
        broker_properties: dict[str, str] | None = None,
        sasl: SaslUsers | None = None,
        tls: bool = False,
    ) -> None:
        self.kafka_version = kafka_version
        self.backend_name = choose_backend_name(backend)
        self.num_brokers = num_brokers
        self.start_timeout = start_timeout
        self.broker_properties = broker_properties
        self.sasl = sasl
        self.tls = tls
        self.initialized = False
        self.broker: str | None = None
        self._backend: Backend | None = None
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def setup(self) -> KafkaUtils:
        """Start the cluster (or connect to it). Must come before any other call; a second
        call does nothing. A failed start leaves nothing running."""
        if self.initialized:
            return self
        backend = make_backend(
            self.backend_name,
            kafka_version=self.kafka_version,
            num_brokers=self.num_brokers,
            start_timeout=self.start_timeout,
            broker_properties=self.broker_properties,
            sasl=self.sasl,
            tls=self.tls,
        )
        try:
            bootstrap = backend.start()
        except BaseException:
            with suppress(Exception):
                backend.stop()
            raise
        self._backend, self.broker, self.initialized = backend, bootstrap, True
        silence_own_clients()
        return self

    def teardown(self) -> None:
        """Close the clients, then stop the cluster. Never raises and never hangs: safe before
        ``setup()``, after a failed one, with the broker already gone, and more than once."""
        admin, producer, backend = self._admin, self._producer, self._backend
        self._admin = self._producer = self._backend = None
        self.broker, self.initialized = None, False
        close_clients(admin, producer)
        if backend is not None:
            try:
                backend.stop()
            except Exception:
                logger.warning("stopping the %s backend failed", backend.name, exc_info=True)

    def is_healthy(self) -> bool:
        """Whether the cluster still serves: set up, and (embedded backend) every node's JVM
        running and a broker accepting connections. Cheap: no Kafka request is made."""
        if not self.initialized or self.broker is None:
            return False
        cluster = getattr(self._backend, "cluster", None)
        return cluster is None or cluster.is_serving()

    def restart(self) -> KafkaUtils:
        """Tear down and set up again: a fresh cluster (its topics and records gone, ``broker``
        changed), the same object, so every holder of it sees the new one."""
        self.teardown()
        return self.setup()

    def ensure_serving(self) -> bool:
        """Restart an embedded cluster that stopped serving (:meth:`is_healthy`); return
        whether it had to. Other backends are not ours to restart: left as they are."""
        if self.backend_name != "embedded" or self.is_healthy():
            return False
        logger.warning("the Kafka cluster at %s stopped serving; starting a new one", self.broker)
        self.restart()
        return True

    def __enter__(self) -> KafkaUtils:
        return self.setup()

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    # -- clients and options -------------------------------------------------------------

    def client_options(self, user: str | None = None) -> dict[str, Any]:
        """kafka-python settings besides the bootstrap servers: the SASL login and TLS trust
        (as ``user``, by default the first SASL user)."""
        cluster = getattr(self._backend, "cluster", None)
        if cluster is not None:
            return cluster.client_options(user)
        return self.sasl.client_options(user) if self.sasl else {}

    def java_options(self, user: str | None = None, password: str | None = None) -> dict[str, str]:
        """The same for a Java client, without the ``kafka.`` prefix: ``--kafka-option``."""
        cluster = getattr(self._backend, "cluster", None)
        if cluster is not None:
            return cluster.java_options(user, password)
        return self.sasl.java_options(user, password) if self.sasl else {}

    @property
    def spark_options(self) -> dict[str, str]:
        """Options for Spark's Kafka source and sink: ``.options(**kafka.spark_options)``."""
        return {
            "kafka.bootstrap.servers": self._require("spark_options"),
            **{f"kafka.{key}": value for key, value in self.java_options().items()},
        }

    @property
    def producer(self) -> KafkaProducer:
        """The producer, as in PySpark's helper: keys and values go through ``str()`` (bytes
        stay bytes, None stays None), so ``producer.send(topic, key=1, value=1)`` works."""
        bootstrap = self._require("producer")
        if self._producer is None:
            self._producer = make_producer(bootstrap, self.client_options())
        return self._producer

    @property
    def admin_client(self) -> KafkaAdminClient:
        """kafka-python's admin client, logged in like every client of this object."""
        bootstrap = self._require("admin_client")
        if self._admin is None:
            self._admin = make_admin(bootstrap, self.client_options())
        return self._admin

    @property
    def cluster(self) -> EmbeddedKafkaCluster:
        """The embedded cluster, for stopping and starting single brokers."""
        self._require("cluster")
        cluster = getattr(self._backend, "cluster", None)
        if cluster is None:
            raise KafkaUtilsError(f"the {self.backend_name} backend has no embedded cluster")
        return cluster

    # -- topics ----------------------------------------------------------------------------

    def create_topics(
        self,
        topic_names: Sequence[str],
        num_partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Create topics; one that exists already is left as it is (as PySpark's helper does).
        Returns once every partition of every topic has a leader that accepts reads."""
        self._require("create_topics")
        names = [topic_names] if isinstance(topic_names, str) else list(topic_names)
        created = topic_admin.create(
            self.admin_client, names, num_partitions, replication_factor, config, scaled(timeout)
        )
        self.admin_client.wait_for_topics(names, timeout_ms=int(scaled(timeout) * 1000))
        for topic in created:
            self._assert_partitions(topic, num_partitions, timeout)

    def delete_topics(
        self, topic_names: Sequence[str], timeout: float = 30.0, wait: bool = True
    ) -> None:
        """Delete topics, ignoring missing ones (as PySpark's helper does); with ``wait``,
        return once the cluster no longer lists them. :attr:`producer` is a new one after it:
        the one before is closed once it has sent what it held (see ``_renew_producer``)."""
        self._require("delete_topics")
        names = [topic_names] if isinstance(topic_names, str) else list(topic_names)
        topic_admin.delete(self.admin_client, names, scaled(timeout))
        self._renew_producer()
        if wait:
            gone = lambda: not set(names) & set(self.admin_client.list_topics())  # noqa: E731
            assertions.assert_eventually(
                gone,
                True,
                timeout,
                0.1,
                message=f"topics {names} still listed",
                retry_on=(KafkaError,),
            )

    def _renew_producer(self) -> None:
        """Close the producer (what it holds is sent first); :attr:`producer` makes a new one.

        kafka-python's producer keeps every partition it ever sent to, and once one of them has
        no leader because its topic is gone, its sender thread asks for metadata in a loop that
        never sleeps: a whole core, for the life of the process (kafka-python 3.0.12).
        """
        producer, self._producer = self._producer, None
        close_clients(None, producer)

    def _assert_partitions(self, topic: str, expected: int, timeout: float) -> None:
        end = lambda: len(self.end_offsets(topic))  # noqa: E731
        assertions.assert_eventually(
            end,
            expected,
            timeout,
            0.1,
            message=f"topic {topic} partitions not usable",
            retry_on=(KafkaError,),
        )

    # -- producing and reading -------------------------------------------------------------

    def send_messages(
        self, topic: str, messages: Iterable[Any], timeout: float = 30.0
    ) -> list[tuple[int, int]]:
        """Send messages and wait for every acknowledgement.

        Each message is a ``(key, value)`` pair, as in PySpark's helper, or ``(key, value,
        headers)``, a dict or a :class:`~kafka_utils.records.Message` (partition, timestamp).
        Keys and values are serialized as :attr:`producer` does: ``str()`` in UTF-8, bytes
        kept, None kept. Returns ``(partition, offset)`` per message.
        """
        self._require("send_messages")
        return records.send(self.producer, topic, messages, scaled(timeout))

    def read_records(self, topic: str, timeout: float = 30.0) -> list[Record]:
        """All records of ``topic`` as full :class:`Record` objects, read with an independent
        client: duplicates kept, ordered by partition then offset."""
        bootstrap = self._require("read_records")
        return records.read_all(
            bootstrap, topic, scaled(timeout), client_id=READER_CLIENT, **self.client_options()
        )

    def get_all_records(
        self,
        spark: Any,
        topic: str,
        key_deserializer: str = "STRING",
        value_deserializer: str = "STRING",
    ) -> KeyValueList:
        """Every record of ``topic`` read through Spark, as in PySpark's helper.

        A batch read from the earliest to the latest offsets, ``CAST(key AS
        {key_deserializer})`` and the same for the value (so invalid UTF-8 becomes U+FFFD).
        Returns the sorted list of ``(key, value)`` tuples, duplicates kept, which also equals
        the ``{key: value}`` dict of PySpark's older helper (see :class:`KeyValueList`).
        ``spark`` None means the active session.
        """
        self._require("get_all_records")
        session = spark if spark is not None else _active_spark_session()
        return read_key_values(
            session, self.spark_options, topic, key_deserializer, value_deserializer
        )

    # -- offsets and lag -------------------------------------------------------------------

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The log-end offset of each partition of ``topic``."""
        bootstrap = self._require("end_offsets")
        return offsets.end_offsets(
            bootstrap, topic, client_id=READER_CLIENT, **self.client_options()
        )

    def committed_offsets(self, group_id: str, topic: str) -> dict[int, int | None]:
        """The offsets a consumer group has committed for each partition of ``topic``."""
        self._require("committed_offsets")
        committed = offsets.committed_offsets(self.admin_client, group_id, topic)
        return {p: committed.get(p) for p in self.end_offsets(topic)}

    def consumer_lag(self, group_id: str, topic: str) -> dict[int, int]:
        """Per partition: end offset minus committed offset (all of it if nothing committed)."""
        committed = self.committed_offsets(group_id, topic)
        return {p: end - (committed[p] or 0) for p, end in self.end_offsets(topic).items()}

    # -- waiting ---------------------------------------------------------------------------

    assert_eventually = staticmethod(assertions.assert_eventually)
    wait_for_query_alive = staticmethod(assertions.wait_for_query_alive)

    def wait_for_query_to_catch_up(
        self, query: Any, topics: Sequence[str] | str, timeout: float = 60.0
    ) -> dict[str, dict[int, int]]:
        """Wait until ``query`` has completed a batch up to the current end offsets of
        ``topics``; fail at once if the query dies. Returns the target offsets."""
        names = [topics] if isinstance(topics, str) else list(topics)
        targets = {t: self.end_offsets(t) for t in names}
        assertions.assert_eventually(
            lambda: assertions.processed_offsets(query),
            lambda processed: assertions.caught_up(processed, targets),
            timeout,
            0.2,
            query=query,
            message=f"query did not reach {targets}",
        )
        return targets

    # -- internals -------------------------------------------------------------------------

    def _require(self, call: str) -> str:
        if not self.initialized or self.broker is None:
            raise NotSetUpError(
                "KafkaUtils has not been initialized. Call setup() first "
                f"(KafkaUtils.{call} needs a running cluster)."
            )
        return self.broker


def _active_spark_session() -> Any:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        raise TypeError("get_all_records reads through Spark: pass a SparkSession (none is active)")
    return session
