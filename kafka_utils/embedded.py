"""A real Apache Kafka cluster in KRaft mode, run as child JVMs on free loopback ports.

One broker runs as a combined broker+controller node. Several brokers run beside one dedicated
controller (node id 0), so any broker (ids 1..n) can be stopped, killed and started again for
fault tests without touching the controller quorum.
"""

from __future__ import annotations

import base64
import shutil
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kafka_utils import jar_cache
from kafka_utils.class_archive import ClassArchive
from kafka_utils.errors import BrokerStartError, KafkaUtilsError
from kafka_utils.jvm import JvmProcess, run_tool
from kafka_utils.readiness import listening, wait_until_ready
from kafka_utils.security import BrokerTls, SaslUsers, listener_protocol
from kafka_utils.timing import scaled

HOST = "127.0.0.1"
CONTROLLER_ID = 0
# A test broker serves little and lives minutes: C1 only and the serial collector start it
# sooner and leave the cores to the tests (one broker 3.5 -> 3.0 s, three 12.7 -> 9.8 s here).
JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class KafkaNode:
    node_id: int
    roles: str
    directory: Path
    client_port: int | None
    controller_port: int | None
    process: JvmProcess | None = field(default=None, repr=False)
    dump: Path | None = field(default=None, repr=False)

    @property
    def address(self) -> str | None:
        return f"{HOST}:{self.client_port}" if self.client_port else None


class EmbeddedKafkaCluster:
    """Start with ``start()``, stop with ``stop()``; also a context manager.

    With ``sasl`` only those users get in; with ``tls`` the client listener speaks TLS with a
    fresh self-signed certificate for 127.0.0.1 (``tls.ca_file``). The controller listener
    stays PLAINTEXT on the loopback. ``client_options()`` and ``java_options()`` are what a
    kafka-python or a Java client (Spark) then needs.
    """

    def __init__(
        self,
        num_brokers: int = 1,
        start_timeout: float = 60.0,
        broker_properties: dict[str, str] | None = None,
        sasl: SaslUsers | None = None,
        tls: bool = False,
    ) -> None:
        if num_brokers < 1:
            raise ValueError(f"num_brokers must be at least 1, got {num_brokers}")
        self.num_brokers = num_brokers
        self.start_timeout = start_timeout
        self.broker_properties = dict(broker_properties or {})
        self.sasl = sasl
        self.protocol = listener_protocol(sasl, tls)
        self.tls: BrokerTls | None = None
        self.workdir: Path | None = None
        self.nodes: dict[int, KafkaNode] = {}
        self.start_seconds: float | None = None
        self._archive: ClassArchive | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> EmbeddedKafkaCluster:
        began = time.monotonic()
        classpath = jar_cache.classpath("broker")
        self._archive = ClassArchive(jar_cache.cache_dir() / "cds", classpath)
        self.workdir = Path(tempfile.mkdtemp(prefix="embedded-kafka-"))
        self.nodes = self._layout()
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        try:
            if self.protocol.endswith("SSL"):
                self.tls = BrokerTls.create(self.workdir / "tls")
            for node in self.nodes.values():
                self._format(node, cluster_id, classpath)
            for node in self.nodes.values():
                self._launch(node, classpath)
            self._wait_ready(expect_brokers=self.num_brokers)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop brokers together, then the controller, so each broker can shut down cleanly."""
        brokers = [n.process for n in self.nodes.values() if n.process and n.client_port]
        controllers = [n.process for n in self.nodes.values() if n.process and not n.client_port]
        for group in (brokers, controllers):
            for process in group:
                process.request_stop()
            for process in group:
                process.stop()
        for node in self.nodes.values():
            self._publish_dump(node)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> EmbeddedKafkaCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one broker at a time, for fault tests ---------------------------------------------

    def stop_broker(self, broker_id: int, *, hard: bool = False) -> None:
        """Stop one broker: a clean shutdown, or SIGKILL with ``hard=True``."""
        node = self._broker(broker_id)
        if node.process:
            node.process.kill() if hard else node.process.stop()
            self._publish_dump(node)

    def start_broker(self, broker_id: int) -> None:
        self.start_brokers(broker_id)

    def start_brokers(self, *broker_ids: int) -> None:
        """Start stopped brokers together, then wait until the cluster serves again (one at a
        time could wait forever: readiness needs partitions led by brokers still down)."""
        stopped = [self._broker(i) for i in broker_ids]
        stopped = [n for n in stopped if not (n.process and n.process.is_running())]
        for node in stopped:
            self._launch(node, jar_cache.classpath("broker"))
        if stopped:
            self._wait_ready(expect_brokers=self.running_brokers())

    def restart_broker(self, broker_id: int, *, hard: bool = False) -> None:
        self.stop_broker(broker_id, hard=hard)
        self.start_broker(broker_id)

    def is_serving(self) -> bool:
        """Every node's JVM runs and some broker accepts a TCP connection."""
        if not self.nodes or not all(_alive(n) for n in self.nodes.values()):
            return False
        try:
            listening(self.bootstrap_servers)
        except OSError:
            return False
        return True

    def running_brokers(self) -> int:
        return sum(1 for n in self.nodes.values() if n.client_port and _alive(n))

    @property
    def broker_ids(self) -> list[int]:
        return [n.node_id for n in self.nodes.values() if n.client_port]

    @property
    def bootstrap_servers(self) -> str:
        if not self.nodes:
            raise KafkaUtilsError("the embedded cluster is not started")
        return ",".join(n.address for n in self.nodes.values() if n.address)

    def client_options(self, user: str | None = None) -> dict[str, object]:
        """kafka-python settings a client needs besides the bootstrap servers."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, object] = {"security_protocol": self.protocol}
        if self.sasl:
            options |= self.sasl.client_options(user, self.protocol)
        if self.tls:
            options |= self.tls.client_options()
        return options

    def java_options(self, user: str | None = None, password: str | None = None) -> dict[str, str]:
        """Java client options (without the ``kafka.`` prefix): for Spark or ``--kafka-option``.

        ``password`` overrides the SASL user's own, e.g. to try a wrong one.
        """
        if self.protocol == "PLAINTEXT":
            return {}
        options = {"security.protocol": self.protocol}
        if self.sasl:
            options |= self.sasl.java_options(user, password, self.protocol)
        if self.tls:
            options |= self.tls.java_options()
        return options

    def pids(self) -> list[int]:
        return [n.process.pid for n in self.nodes.values() if n.process and n.process.pid]

    # -- internals -------------------------------------------------------------------------

    def _broker(self, broker_id: int) -> KafkaNode:
        node = self.nodes.get(broker_id)
        if node is None or node.client_port is None:
            raise KafkaUtilsError(f"no broker with id {broker_id}; brokers are {self.broker_ids}")
        return node

    def _layout(self) -> dict[int, KafkaNode]:
        assert self.workdir is not None
        if self.num_brokers == 1:
            node = KafkaNode(
                1, "broker,controller", self.workdir / "node-1", free_port(), free_port()
            )
            return {1: node}
        controller = KafkaNode(
            CONTROLLER_ID, "controller", self.workdir / "controller", None, free_port()
        )
        brokers = {
            i: KafkaNode(i, "broker", self.workdir / f"broker-{i}", free_port(), None)
            for i in range(1, self.num_brokers + 1)
        }
        return {CONTROLLER_ID: controller, **brokers}

    def _voters(self) -> str:
        return ",".join(
            f"{n.node_id}@{HOST}:{n.controller_port}"
            for n in self.nodes.values()
            if n.controller_port
        )

    def _properties(self, node: KafkaNode) -> dict[str, str]:
        client = self.protocol
        listeners, protocols = [], ["CONTROLLER:PLAINTEXT", f"{client}:{client}"]
        if node.client_port:
            listeners.append(f"{client}://{HOST}:{node.client_port}")
        if node.controller_port:
            listeners.append(f"CONTROLLER://{HOST}:{node.controller_port}")
        replicas = str(min(3, self.num_brokers))
        props = {
            "process.roles": node.roles,
            "node.id": str(node.node_id),
            "controller.quorum.voters": self._voters(),
            "controller.listener.names": "CONTROLLER",
            "listeners": ",".join(listeners),
            "listener.security.protocol.map": ",".join(protocols),
            "log.dirs": str(node.directory / "data"),
            "num.partitions": "1",
            "default.replication.factor": replicas,
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": str(min(2, self.num_brokers)),
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "4",
            # Test data often carries fixed timestamps: Kafka's default 7 days of retention,
            # counted from a record's own timestamp, would delete it a minute after it is sent
            # once that date is a week old. A topic's own retention.ms still applies.
            "log.retention.ms": "-1",
            "log.retention.check.interval.ms": "60000",
        }
        if node.client_port:
            props["advertised.listeners"] = f"{client}://{HOST}:{node.client_port}"
            props["inter.broker.listener.name"] = client
            props |= self.sasl.broker_properties(client) if self.sasl else {}
            props |= self.tls.broker_properties() if self.tls else {}
        return {**props, **self.broker_properties}

    def _config_file(self, node: KafkaNode) -> Path:
        node.directory.mkdir(parents=True, exist_ok=True)
        path = node.directory / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in self._properties(node).items()))
        return path

    def _format(self, node: KafkaNode, cluster_id: str, classpath: str) -> None:
        config = self._config_file(node)
        # "--cluster-id=…" because a random id may begin with "-", which reads as a flag.
        args = ["format", f"--cluster-id={cluster_id}", "-c", str(config), "--ignore-formatted"]
        args += self.sasl.format_arguments() if self.sasl else []
        archive = self._archive.use_options() if self._archive else []
        done = run_tool("kafka.tools.StorageTool", args, classpath, archive)
        if done.returncode != 0:
            output = self._scrub(done.stdout + done.stderr).strip().splitlines()
            interesting = [line for line in output if not line.startswith("\tat ")]
            raise BrokerStartError(
                f"Kafka node {node.node_id}: formatting its storage failed (exit code "
                f"{done.returncode}). Last lines of kafka.tools.StorageTool's output:\n"
                + "\n".join(interesting[-15:])
            )

    def _launch(self, node: KafkaNode, classpath: str) -> None:
        config = node.directory / "server.properties"
        log = node.directory / "server.log"
        archive, node.dump = self._archive.options() if self._archive else ([], None)
        options = (*JVM_OPTIONS, *archive)
        node.process = JvmProcess("kafka.Kafka", [str(config)], classpath, log, options)
        node.process.start()

    def _publish_dump(self, node: KafkaNode) -> None:
        """The class archive a stopped node's JVM wrote at its exit, if it was to write one."""
        if node.dump and self._archive and node.process and not node.process.is_running():
            code = node.process.exit_code()
            self._archive.publish(node.dump, exited_cleanly=code is not None and code >= 0)
            node.dump = None

    def _wait_ready(self, expect_brokers: int) -> None:
        def dead_node_report() -> str | None:
            for node in self.nodes.values():
                if node.process and node.process.crashed():
                    code = node.process.exit_code()
                    return self._scrub(_failure_report(node, f"exited with code {code}"))
            return None

        try:
            wait_until_ready(
                self.bootstrap_servers,
                expect_brokers,
                scaled(self.start_timeout),
                dead_node_report,
                self.client_options(),
            )
        except TimeoutError as e:
            node = next(iter(self.nodes.values()))
            raise BrokerStartError(self._scrub(_failure_report(node, str(e)))) from None

    def _scrub(self, text: str) -> str:
        text = self.sasl.scrub(text) if self.sasl else text
        return self.tls.scrub(text) if self.tls else text


def _alive(node: KafkaNode) -> bool:
    return node.process is not None and node.process.is_running()


def _failure_report(node: KafkaNode, what: str) -> str:
    hint = ""
    tail = node.process.log_tail() if node.process else ""
    if node.process and node.process.log_contains("Address already in use"):
        hint = " (a port clash: another process took the port; start again to pick new ports)"
    return (
        f"Kafka node {node.node_id} ({node.roles}, {node.address or 'controller'}) {what}{hint}."
        f"\nLast lines of {node.process.log_path if node.process else 'its log'}:\n{tail}"
    )
