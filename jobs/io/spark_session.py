"""The one place a SparkSession is made: Maven-resolved jars, Delta, ``spark-conf/`` settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from jobs.io.jars import spark_jars

__all__ = ["SPARK_CONF_DIR", "build_spark_session", "read_spark_defaults"]

SPARK_CONF_DIR = Path(__file__).resolve().parents[2] / "spark-conf"


def read_spark_defaults(path: Path = SPARK_CONF_DIR / "spark-defaults.conf") -> dict[str, str]:
    """Parse a ``spark-defaults.conf``: ``key value`` per line, ``#`` comments."""
    conf: dict[str, str] = {}
    if not path.is_file():
        return conf
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            conf[key] = value.strip()
    return conf


def under_spark_submit() -> bool:
    """True when spark-submit launched us: the jars then come from ``--jars``/``--packages``."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_conf(master: str) -> dict[str, str]:
    """Settings for a session started from plain Python: jars, logging, loopback only."""
    log4j = SPARK_CONF_DIR / "log4j2.properties"
    java_options = f"-Dlog4j2.configurationFile=file:{log4j}"
    return {
        "spark.master": master,
        "spark.jars": ",".join(str(j) for j in spark_jars()),
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": java_options,
    }


def build_spark_session(
    app_name: str = "kafka-stream", master: str = "local[2]", conf: dict[str, str] | None = None
) -> SparkSession:
    """A ready SparkSession with the Kafka connector and Delta.

    Under spark-submit the cluster's settings and jars are used as given; from plain Python a
    local session is built with the Maven-resolved jars. ``conf`` wins over both.
    """
    settings = read_spark_defaults()
    if not under_spark_submit():
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        settings.update(local_conf(master))
    settings.update(conf or {})
    builder = SparkSession.builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
