"""The job's own Spark-side jars (``jobs.io.jars``, as ``make jars`` leaves them) and the
session defaults of ``spark-conf/spark-defaults.conf``."""

from __future__ import annotations

import hashlib

import pytest

from jobs.core.errors import InfrastructureError
from jobs.io.jars import CACHE_ENV, POM, jars_dir, spark_jars
from jobs.io.spark_session import read_spark_defaults
from kafka_utils import jar_cache
from tools.package import maven_coordinates, maven_exclusions


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    folder = tmp_path / "spark"
    folder.mkdir()
    (folder / "a.jar").write_bytes(b"")
    (folder / "b.jar").write_bytes(b"")
    return folder


def test_the_resolved_jars_are_the_kafka_connector_and_delta():
    names = [jar.name for jar in spark_jars()]
    assert any(n.startswith("spark-sql-kafka-0-10_2.13-") for n in names)
    assert any(n.startswith("delta-spark_") for n in names)
    assert all(jar.parent == jars_dir() for jar in spark_jars())


def test_jars_stamped_with_the_current_pom_are_listed_in_order(cache):
    (cache / ".resolved").write_text(hashlib.sha256(POM.read_bytes()).hexdigest() + "\n")
    assert [j.name for j in spark_jars()] == ["a.jar", "b.jar"]


@pytest.mark.parametrize("stamp", [None, "0" * 64], ids=["half-copied", "another pom"])
def test_jars_not_resolved_from_the_current_pom_say_run_make_jars(cache, stamp):
    if stamp:
        (cache / ".resolved").write_text(stamp)
    with pytest.raises(InfrastructureError, match=r"run 'make jars'") as raised:
        spark_jars()
    assert str(cache) in str(raised.value)


def test_spark_defaults_configure_delta(tmp_path):
    conf = read_spark_defaults()
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"].endswith("DeltaCatalog")
    custom = tmp_path / "spark-defaults.conf"
    custom.write_text("# comment\n\nspark.a   1\nspark.b two words\n")
    assert read_spark_defaults(custom) == {"spark.a": "1", "spark.b": "two words"}


def test_the_job_and_the_harness_ask_maven_for_the_same_spark_side():
    """Two products, two Maven files: the job's in spark-conf/, the harness's in its package."""
    assert maven_coordinates(POM) == jar_cache.coordinates("spark")
    harness = maven_exclusions(jar_cache.POM, "spark-jars")
    assert maven_exclusions(POM) == harness and harness
