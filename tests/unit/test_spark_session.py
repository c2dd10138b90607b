"""The Spark settings the harness applies itself, and how a user's settings combine with them."""

from kafka_utils import configure, jar_cache, spark_conf
from kafka_utils.spark_session import LOG4J_CONFIG, local_conf


def test_spark_conf_gives_the_connector_jars_and_delta():
    conf = spark_conf()
    assert conf["spark.jars"].split(",") == [str(j) for j in jar_cache.jars("spark")]
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"].endswith(".DeltaCatalog")
    assert set(spark_conf(delta=False)) == {"spark.jars"}


def test_configure_applies_it_to_a_builder():
    class Builder:
        def __init__(self):
            self.settings = {}

        def config(self, key, value):
            self.settings[key] = value
            return self

    assert configure(Builder()).settings == spark_conf()


def test_local_conf_is_loopback_quiet_and_small():
    conf = local_conf()
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.ui.enabled"] == "false" and conf["spark.sql.shuffle.partitions"] == "2"
    assert LOG4J_CONFIG.is_file() and LOG4J_CONFIG.parent.name == "kafka_utils"
    assert (
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}"
        in conf["spark.driver.extraJavaOptions"]
    )


def test_users_settings_win_and_jars_add_up(tmp_path):
    own_jar = tmp_path / "udfs.jar"
    conf = local_conf(
        {
            "spark.sql.shuffle.partitions": "8",
            "spark.sql.session.timeZone": "UTC",
            "spark.jars": "/opt/a.jar",
            "spark.driver.extraJavaOptions": "-Dmine=1",
        },
        [own_jar],
    )
    assert conf["spark.sql.shuffle.partitions"] == "8"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    jars = conf["spark.jars"].split(",")
    assert jars[: len(jar_cache.jars("spark"))] == [str(j) for j in jar_cache.jars("spark")]
    assert jars[-2:] == ["/opt/a.jar", str(own_jar)]
    assert conf["spark.driver.extraJavaOptions"].endswith(" -Dmine=1")
    assert "log4j2.configurationFile" in conf["spark.driver.extraJavaOptions"]
