"""pytest fixtures of KafkaUtils, registered through the ``pytest11`` entry point.

- ``kafka_utils``: one Kafka cluster for the whole run (embedded unless
  ``$KAFKA_UTILS_BACKEND`` says otherwise), torn down at the end.
- ``spark``: one local SparkSession with the Kafka connector and Delta.
- ``topic``: a factory of unique, created topics: ``topic(partitions=3)``.
- ``unique_name``: a factory of unique names for topics, groups and queries.

Before each test that uses ``kafka_utils``, a cheap check (JVMs alive, a broker listening)
replaces a cluster that an earlier test broke, with a warning, so that one failure does not
fail every later test; before each test (and module) that uses ``spark``, a session that an
earlier test stopped, or whose JVM died, is started again in place. Every wait is stretched
by ``$KAFKA_UTILS_TIME_SCALE``.

The ``spark`` fixture reads two ini options of the user's pytest configuration::

    [tool.pytest.ini_options]
    kafka_utils_spark_options = ["spark.sql.session.timeZone: UTC", "spark.driver.memory: 2g"]
    kafka_utils_spark_jars = ["libs/my-udfs.jar"]
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from kafka.errors import KafkaError

from kafka_utils import jar_cache
from kafka_utils.clients import close_within as stop_within
from kafka_utils.errors import BackendUnavailableError
from kafka_utils.harness import KafkaUtils
from kafka_utils.jar_cache import JarKind
from kafka_utils.spark_session import STOP_SECONDS
from kafka_utils.timing import scaled

OPTIONS_INI = "kafka_utils_spark_options"
JARS_INI = "kafka_utils_spark_jars"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        OPTIONS_INI,
        "Spark settings of the kafka_utils 'spark' fixture, one 'key: value' per line; "
        "they win over the harness's own",
        type="linelist",
        default=[],
    )
    parser.addini(
        JARS_INI,
        "jar files added to spark.jars of the kafka_utils 'spark' fixture, one per line, "
        "relative to the ini file",
        type="paths",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    ini_spark_options(config)  # a malformed line stops the run at start, naming the line


def ini_spark_options(config: pytest.Config) -> dict[str, str]:
    """The ``kafka_utils_spark_options`` lines as a dict."""
    options = {}
    for line in config.getini(OPTIONS_INI):
        key, separator, value = line.partition(":")
        if not separator or not key.strip():
            raise pytest.UsageError(f"{OPTIONS_INI}: expected 'key: value', got {line!r}")
        options[key.strip()] = value.strip()
    return options


def _resolve_jars_visibly(config: pytest.Config, kind: JarKind) -> None:
    """The first resolution takes a while: let its progress lines through pytest's capture."""
    if jar_cache.is_resolved(kind):
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        jar_cache.resolve(kind)


def new_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def kafka_utils(pytestconfig: pytest.Config) -> Iterator[KafkaUtils]:
    """A started :class:`kafka_utils.KafkaUtils`, one per test run: an embedded Kafka broker on
    a free loopback port, or the backend named by ``$KAFKA_UTILS_BACKEND`` (tests are skipped
    if that backend cannot run here). ``kafka_utils.broker`` is the bootstrap servers."""
    utils = KafkaUtils()
    try:
        if utils.backend_name == "embedded":
            _resolve_jars_visibly(pytestconfig, "broker")
        utils.setup()
    except BackendUnavailableError as e:
        pytest.skip(str(e))
    try:
        yield utils
    finally:
        utils.teardown()


@pytest.fixture(autouse=True)
def _kafka_utils_repaired(request: pytest.FixtureRequest) -> None:
    """A test that uses ``kafka_utils`` gets a serving cluster: one left broken by an earlier
    test (a broker killed, a JVM dead) is replaced in place, with a warning."""
    if "kafka_utils" not in request.fixturenames:
        return
    if request.getfixturevalue("kafka_utils").ensure_serving():
        warnings.warn(
            "the shared Kafka cluster had stopped serving (an earlier test broke it): replaced",
            stacklevel=1,
        )


@pytest.fixture(scope="session")
def spark(pytestconfig: pytest.Config) -> Iterator[Any]:
    """A local SparkSession, one per test run, with the Kafka connector and Delta on it.

    Extra settings come from the ``kafka_utils_spark_options`` ini option (``key: value``
    lines; they win over the harness's), extra jars from ``kafka_utils_spark_jars``."""
    from kafka_utils.spark_session import start_session

    _resolve_jars_visibly(pytestconfig, "spark")
    session = start_session(*_session_settings(pytestconfig))
    yield session
    stop_within(session.stop, scaled(STOP_SECONDS))


@pytest.fixture(autouse=True, scope="module")
def _spark_revived_for_module(request: pytest.FixtureRequest) -> None:
    """The same check before a module's fixtures, which may build on ``spark`` too."""
    _revive_spark(request)


@pytest.fixture(autouse=True)
def _spark_revived(request: pytest.FixtureRequest) -> None:
    """A test that uses ``spark`` gets a working session: one an earlier test stopped, or whose
    JVM died, gets a new SparkContext in place (the same object), with a warning."""
    _revive_spark(request)


def _revive_spark(request: pytest.FixtureRequest) -> None:
    if "spark" not in request.fixturenames:
        return
    from kafka_utils.spark_session import ensure_serving

    session = request.getfixturevalue("spark")
    if ensure_serving(session, *_session_settings(request.config)):
        warnings.warn(
            "the shared SparkSession had stopped (an earlier test stopped it or its JVM died): "
            "started again in place",
            stacklevel=1,
        )


def _session_settings(config: pytest.Config) -> tuple[str, dict[str, str], list[str]]:
    jars = [str(path) for path in config.getini(JARS_INI)]
    return "kafka-utils-tests", ini_spark_options(config), jars


@pytest.fixture
def unique_name() -> Callable[..., str]:
    """A factory of unique names: ``unique_name("group")`` gives ``group-<12 hex digits>``."""
    return new_name


@pytest.fixture
def topic(kafka_utils: KafkaUtils) -> Iterator[Callable[..., str]]:
    """A factory of created topics with unique names, deleted after the test:
    ``topic(partitions=3, replication_factor=1, prefix="topic", **topic_config)``."""
    created: list[str] = []

    def make(
        partitions: int = 1, replication_factor: int = 1, prefix: str = "topic", **config: str
    ) -> str:
        name = new_name(prefix)
        kafka_utils.create_topics([name], partitions, replication_factor, config or None)
        created.append(name)
        return name

    yield make
    if created:  # unique names: nothing waits for them to be gone
        try:
            kafka_utils.delete_topics(created, wait=False)
        except KafkaError as e:  # cleanup only: the test's verdict stands
            warnings.warn(f"topics not deleted after the test: {e!r}", stacklevel=1)
