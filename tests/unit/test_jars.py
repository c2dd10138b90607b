import re
from pathlib import Path

import pyspark

from jobs.io.spark_session import read_spark_defaults
from kafka_utils import jars

_VERSION = re.compile(r"-\d+(\.\d+)+.*\.jar$")


def artifact(jar: Path) -> str:
    return _VERSION.sub("", jar.name)


def test_spark_jars_add_nothing_the_pyspark_wheel_already_ships():
    shipped = {artifact(j) for j in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    ours = {artifact(j) for j in jars.jars("spark")}
    assert {"spark-sql-kafka-0-10_2.13", "delta-spark_4.2_2.13", "kafka-clients"} <= ours
    assert ours & shipped == set()


def test_broker_jars_stay_off_sparks_classpath():
    spark_side = {j.name for j in jars.jars("spark")}
    broker_side = {j.name for j in jars.jars("broker")}
    assert any(name.startswith("kafka_2.13-4.") for name in broker_side)
    assert not any(
        name.startswith(("kafka_2.13", "scala-library", "jackson-databind")) for name in spark_side
    )


def test_resolution_is_cached_against_the_pom():
    assert jars.is_resolved("spark") and jars.is_resolved("broker")
    stamp = jars.cache_dir() / "spark" / ".resolved"
    assert stamp.read_text() == jars._pom_hash()


def test_spark_defaults_configure_delta(tmp_path):
    conf = read_spark_defaults()
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"].endswith("DeltaCatalog")
    custom = tmp_path / "spark-defaults.conf"
    custom.write_text("# comment\n\nspark.a   1\nspark.b two words\n")
    assert read_spark_defaults(custom) == {"spark.a": "1", "spark.b": "two words"}
