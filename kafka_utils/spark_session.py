"""SparkSessions for tests: the Kafka connector and Delta jars, and a quiet loopback-only setup.

Two levels. :func:`spark_conf` / :func:`configure` give *your own* SparkSession builder what
it needs to read and write Kafka (and Delta) with the jars of the harness's cache:

>>> builder = kafka_utils.configure(SparkSession.builder.master("local[2]"))

:func:`start_session` is what the ``spark`` fixture and ``KafkaTestCase`` use: those settings
plus a local master, the driver bound to 127.0.0.1, no UI, two shuffle partitions, four tasks
(not 10 000) to list a table's folders (Delta's VACUUM) and Spark's own logging at WARN on
stderr. Settings given by the caller win; jars add up.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kafka_utils import jar_cache
from kafka_utils.clients import close_within
from kafka_utils.timing import scaled

__all__ = ["configure", "ensure_serving", "is_serving", "local_conf", "spark_conf", "start_session"]

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
LOCAL_CONF = {
    "spark.master": "local[2]",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "4",
}
_JOINED = {
    "spark.jars": ",",
    "spark.driver.extraJavaOptions": " ",
    "spark.executor.extraJavaOptions": " ",
}
CONNECTOR = "spark-sql-kafka-0-10"
STOP_SECONDS = 60.0  # a SparkContext that has not stopped by then is left behind


def spark_conf(delta: bool = True) -> dict[str, str]:
    """Settings that let a SparkSession read and write Kafka: ``spark.jars`` with the connector
    (and Delta) jars of the harness's cache, and with ``delta`` Delta's extension and catalog."""
    conf = {"spark.jars": ",".join(str(j) for j in jar_cache.jars("spark"))}
    return conf | DELTA_CONF if delta else conf


def configure(builder: Any, delta: bool = True) -> Any:
    """``builder`` (a ``SparkSession.Builder``) with :func:`spark_conf` applied; returns it.

    Must come before the first ``getOrCreate()`` of the process: jars cannot be added to a
    running session. If you set ``spark.jars`` yourself, join yours to ``spark_conf()``'s.
    """
    for key, value in spark_conf(delta).items():
        builder = builder.config(key, value)
    return builder


def local_conf(
    options: Mapping[str, str] | None = None, jars: Iterable[str] = ()
) -> dict[str, str]:
    """Every setting of the harness's local test session: :func:`spark_conf`, then the local
    settings, then ``options``, which win, except that ``spark.jars`` and the extra Java
    options are joined to the harness's; ``jars`` are added to ``spark.jars``."""
    java_options = f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}"
    conf = {
        **spark_conf(),
        **LOCAL_CONF,
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": java_options,
    }
    for key, value in dict(options or {}).items():
        separator = _JOINED.get(key)
        conf[key] = f"{conf[key]}{separator}{value}" if separator and conf.get(key) else value
    conf["spark.jars"] = ",".join(filter(None, [conf["spark.jars"], *map(str, jars)]))
    return conf


def start_session(
    app_name: str = "kafka-utils-tests",
    options: Mapping[str, str] | None = None,
    jars: Iterable[str] = (),
) -> Any:
    """A local SparkSession with :func:`local_conf`; the process's running one if there is
    one (then a warning says so if it lacks the Kafka connector)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    for key, value in local_conf(options, jars).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if CONNECTOR not in session.sparkContext.getConf().get("spark.jars", ""):
        warnings.warn(
            "a SparkSession without the Kafka connector was already running, so it was reused "
            "as is; build it with kafka_utils.configure(builder) to read Kafka",
            stacklevel=2,
        )
    return session


def is_serving(session: Any) -> bool:
    """Whether ``session`` can still run a query: its JVM alive and its SparkContext not
    stopped. Cheap: one call to the JVM, none when its process is gone."""
    from pyspark import SparkContext

    if SparkContext._gateway is None or _jvm_gone():
        return False
    jsc = session.sparkContext._jsc
    try:
        return jsc is not None and not jsc.sc().isStopped()
    except Exception:  # py4j: the JVM no longer answers
        return False


def ensure_serving(
    session: Any,
    app_name: str = "kafka-utils-tests",
    options: Mapping[str, str] | None = None,
    jars: Iterable[str] = (),
) -> bool:
    """Give ``session`` a working Spark again if a test stopped it or killed its JVM; return
    whether it had to. The same Python object gets the new SparkContext (and JVM), so every
    fixture and test that holds it sees the new one; DataFrames made before are gone."""
    if is_serving(session):
        return False
    from pyspark.sql import SparkSession

    _forget(session)
    fresh = start_session(app_name, options, jars)
    session.__init__(fresh.sparkContext, fresh._jsparkSession)
    SparkSession._instantiatedSession = SparkSession._activeSession = session
    return True


def _forget(session: Any) -> None:
    """PySpark's process-wide state of a stopped context or a dead JVM, cleared so that the
    next session starts afresh (a new JVM when the old one is gone)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if _jvm_gone():
        with contextlib.suppress(Exception):  # a dead JVM's connections: nothing to close
            SparkContext._gateway.close()
        SparkContext._gateway = SparkContext._jvm = None
        SparkContext._active_spark_context = None
    elif session.sparkContext._jsc is not None:
        close_within(session.sparkContext.stop, scaled(STOP_SECONDS))
    SparkSession._instantiatedSession = SparkSession._activeSession = None


def _jvm_gone() -> bool:
    """Whether the JVM PySpark launched for this process has exited."""
    from pyspark import SparkContext

    process = getattr(SparkContext._gateway, "proc", None)
    return process is not None and process.poll() is not None
