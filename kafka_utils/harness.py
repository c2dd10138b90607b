"""KafkaUtils: a real Kafka for Spark tests, compatible with PySpark's own test helper."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import UnknownTopicOrPartitionError

from kafka_utils import assertions, records
from kafka_utils.backends import Backend, choose_backend_name, make_backend
from kafka_utils.embedded import EmbeddedKafkaCluster
from kafka_utils.errors import KafkaUtilsError, NotSetUpError
from kafka_utils.records import Record
from kafka_utils.security import SaslUsers


class KafkaUtils:
    """Start a Kafka cluster for tests and talk to it with plain Kafka clients.

    ``backend`` is ``"embedded"`` (a real broker run as a JVM, the default),
    ``"testcontainers"`` (needs Docker) or ``"external"`` (``$KAFKA_BOOTSTRAP_SERVERS``).
    ``kafka_version`` picks the testcontainers image, as in PySpark's helper. With ``sasl``
    the embedded broker takes logins of those users only, and every client of this object
    logs in (with ``external``: the cluster's users, given here); with ``tls`` it speaks TLS
    with a self-signed certificate that the clients trust.
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
        self._backend: Backend | None = None
        self._bootstrap: str | None = None
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def setup(self) -> KafkaUtils:
        """Start the cluster (or connect to it). Must come before any other call."""
        if self._bootstrap is not None:
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
        self._bootstrap = backend.start()
        self._backend = backend
        return self

    def teardown(self) -> None:
        """Close the clients and stop the cluster. Safe to call more than once."""
        for client in (self._producer, self._admin):
            if client is not None:
                client.close()
        self._producer = self._admin = None
        if self._backend is not None:
            self._backend.stop()
        self._backend = self._bootstrap = None

    def __enter__(self) -> KafkaUtils:
        return self.setup()

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    # -- properties of the reference API ----------------------------------------------------

    @property
    def broker(self) -> str:
        """The bootstrap servers, e.g. ``127.0.0.1:40123``."""
        return self._require("broker")

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
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self._require("producer"),
                acks="all",
                linger_ms=5,
                **self.client_options(),
            )
        return self._producer

    @property
    def admin_client(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self._require("admin_client"), **self.client_options()
            )
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
        """Create topics and return once every partition has a leader that accepts reads."""
        self._require("create_topics")
        new = [
            NewTopic(t, num_partitions, replication_factor, topic_configs=config or {})
            for t in topic_names
        ]
        self.admin_client.create_topics(new, timeout_ms=int(timeout * 1000))
        self.admin_client.wait_for_topics(list(topic_names), timeout_ms=int(timeout * 1000))
        for topic in topic_names:
            self._assert_partitions(topic, num_partitions, timeout)

    def delete_topics(self, topic_names: Sequence[str], timeout: float = 30.0) -> None:
        """Delete topics and return once the cluster no longer lists them."""
        self._require("delete_topics")
        with suppress(UnknownTopicOrPartitionError):
            self.admin_client.delete_topics(list(topic_names), timeout_ms=int(timeout * 1000))
        gone = lambda: not set(topic_names) & set(self.admin_client.list_topics())  # noqa: E731
        assertions.assert_eventually(
            gone, True, timeout, 0.1, message=f"topics {list(topic_names)} still listed"
        )

    def _assert_partitions(self, topic: str, expected: int, timeout: float) -> None:
        end = lambda: len(self.end_offsets(topic))  # noqa: E731
        assertions.assert_eventually(
            end, expected, timeout, 0.1, message=f"topic {topic} partitions not usable"
        )

    # -- producing and reading -------------------------------------------------------------

    def send_messages(
        self, topic: str, messages: Iterable[Any], timeout: float = 30.0
    ) -> list[tuple[int, int]]:
        """Send messages and wait for every acknowledgement.

        Each message is a ``(key, value)`` or ``(key, value, headers)`` tuple, a dict or a
        :class:`~kafka_utils.records.Message` (partition, timestamp). Keys and values may be
        bytes (kept as is), str (UTF-8) or None. Returns ``(partition, offset)`` per message.
        """
        self._require("send_messages")
        return records.send(self.producer, topic, messages, timeout)

    def read_records(self, topic: str, timeout: float = 30.0) -> list[Record]:
        """All records of ``topic`` as full :class:`Record` objects, read with an independent
        client: duplicates kept, ordered by partition then offset."""
        return records.read_all(
            self._require("read_records"), topic, timeout, **self.client_options()
        )

    def get_all_records(
        self,
        spark: Any,
        topic: str,
        key_deserializer: str = "STRING",
        value_deserializer: str = "STRING",
    ) -> dict[Any, Any]:
        """The reference's ``{key: value}`` view (the last value per key wins).

        ``spark`` is accepted for compatibility only: records are read with an independent
        Kafka client, not with the Spark connector under test. Deserializers: STRING or BINARY.
        """
        decode_key = _deserializer(key_deserializer)
        decode_value = _deserializer(value_deserializer)
        rows = records.read_all(self._require("get_all_records"), topic, **self.client_options())
        return {decode_key(r.key): decode_value(r.value) for r in rows}

    # -- offsets and lag -------------------------------------------------------------------

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The log-end offset of each partition of ``topic``."""
        with self._consumer("end_offsets") as consumer:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}

    def committed_offsets(self, group_id: str, topic: str) -> dict[int, int | None]:
        """The offsets a consumer group has committed for each partition of ``topic``."""
        self._require("committed_offsets")
        found = self.admin_client.list_group_offsets({group_id: None}).get(group_id, {})
        committed = {tp.partition: meta.offset for tp, meta in found.items() if tp.topic == topic}
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
        if self._bootstrap is None:
            raise NotSetUpError(f"KafkaUtils.{call} needs a running cluster: call setup() first")
        return self._bootstrap

    @contextmanager
    def _consumer(self, call: str) -> Iterator[KafkaConsumer]:
        consumer = KafkaConsumer(
            bootstrap_servers=self._require(call), enable_auto_commit=False, **self.client_options()
        )
        try:
            yield consumer
        finally:
            consumer.close()


def _deserializer(name: str) -> Any:
    kind = name.upper()
    if kind == "BINARY":
        return lambda data: data
    if kind == "STRING":
        return lambda data: None if data is None else data.decode()
    raise ValueError(f"deserializer must be STRING or BINARY, got {name!r}")
