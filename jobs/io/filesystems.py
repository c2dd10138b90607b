"""Every location's filesystem on Spark's classpath, checked once Spark is up, in one line.

A ``--backup-path s3a://…`` without hadoop-aws otherwise fails at the first write, deep in a
micro-batch, with a Java stack of hundreds of lines. ``FileSystem.getFileSystemClass`` only
looks the class up: no connection, no credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

from jobs.core.errors import ConfigError
from jobs.io.paths import local_path

__all__ = ["check_filesystems"]

# The Maven artifact that brings each scheme's filesystem, in the version of Spark's Hadoop.
PROVIDERS = {
    "s3a": "org.apache.hadoop:hadoop-aws",
    "abfs": "org.apache.hadoop:hadoop-azure",
    "abfss": "org.apache.hadoop:hadoop-azure",
    "wasb": "org.apache.hadoop:hadoop-azure",
    "wasbs": "org.apache.hadoop:hadoop-azure",
    "gs": "com.google.cloud.bigdataoss:gcs-connector",
}


def check_filesystems(spark, locations: Mapping[str, str | None]) -> None:
    """A ``ConfigError`` naming the first ``{flag: location}`` whose scheme Spark cannot open."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for setting, location in locations.items():
        if not location or local_path(location) is not None:
            continue
        scheme = urlparse(location).scheme
        try:
            jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(scheme, conf)
        except Exception as e:
            if getattr(e, "java_exception", None) is None:  # not an answer of the JVM
                raise
            version = jvm.org.apache.hadoop.util.VersionInfo.getVersion()
            raise ConfigError(setting, missing_filesystem(location, scheme, version)) from None


def missing_filesystem(location: str, scheme: str, hadoop_version: str) -> str:
    provider = PROVIDERS.get(scheme)
    fix = (
        f"add {provider}:{hadoop_version} (Spark's Hadoop is {hadoop_version}) with its "
        f"dependencies: spark-submit --packages {provider}:{hadoop_version}, or its jars "
        "in --jars"
        if provider
        else "add the jar of a Hadoop filesystem for it to --jars, or use another location"
    )
    return f"{location}: Spark has no filesystem for {scheme}:// here; {fix}"
