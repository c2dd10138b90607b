"""The jar cache: what it holds, where it lives, and what a missing Maven or Java says."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyspark
import pytest

from kafka_utils import JarsUnavailableError, jar_cache

_VERSION = re.compile(r"-\d+(\.\d+)+.*\.jar$")


def artifact(jar: Path) -> str:
    return _VERSION.sub("", jar.name)


def test_spark_jars_add_nothing_the_pyspark_wheel_already_ships():
    shipped = {artifact(j) for j in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    ours = {artifact(j) for j in jar_cache.jars("spark")}
    assert {"spark-sql-kafka-0-10_2.13", "delta-spark_4.2_2.13", "kafka-clients"} <= ours
    assert ours & shipped == set()


def test_broker_jars_stay_off_sparks_classpath():
    spark_side = {j.name for j in jar_cache.jars("spark")}
    broker_side = {j.name for j in jar_cache.jars("broker")}
    assert any(name.startswith("kafka_2.13-4.") for name in broker_side)
    assert not any(
        name.startswith(("kafka_2.13", "scala-library", "jackson-databind")) for name in spark_side
    )


def test_the_coordinates_ship_inside_the_package():
    assert jar_cache.POM.parent == Path(jar_cache.__file__).parent
    assert jar_cache.coordinates("spark") == [
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0",
        "io.delta:delta-spark_4.2_2.13:4.4.0",
    ]
    assert jar_cache.coordinates("broker")[0] == "org.apache.kafka:kafka_2.13:4.3.1"


def test_cache_lives_in_the_users_cache_folder_keyed_by_the_coordinates(monkeypatch, tmp_path):
    for name in ("KAFKA_UTILS_JARS_DIR", "KAFKA_STREAM_JARS_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert jar_cache.cache_root() == tmp_path / "home" / ".cache" / "kafka-utils" / "jars"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert jar_cache.cache_root() == tmp_path / "xdg" / "kafka-utils" / "jars"
    monkeypatch.setenv("KAFKA_STREAM_JARS_DIR", str(tmp_path / "the-jobs-cache"))
    assert jar_cache.cache_root() == tmp_path / "xdg" / "kafka-utils" / "jars"
    monkeypatch.setenv("KAFKA_UTILS_JARS_DIR", str(tmp_path / "chosen"))
    assert jar_cache.cache_root() == tmp_path / "chosen"
    assert jar_cache.cache_dir().parent == tmp_path / "chosen"
    assert re.fullmatch(r"[0-9a-f]{12}", jar_cache.cache_dir().name)


def test_a_filled_cache_is_used_without_maven_or_java(monkeypatch, tmp_path):
    folder = jar_cache.resolve("spark")
    monkeypatch.setenv("PATH", str(tmp_path))  # neither mvn nor java on it
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert jar_cache.jars("spark") == sorted(folder.glob("*.jar"))


def test_a_missing_maven_is_one_line_saying_what_to_install(monkeypatch, tmp_path):
    java = Path(shutil.which("java")).resolve()
    monkeypatch.setenv("JAVA_HOME", str(java.parents[1]))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KAFKA_UTILS_JARS_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(JarsUnavailableError) as caught:
        jar_cache.jars("spark")
    message = str(caught.value)
    assert "\n" not in message
    assert "needs Maven ('mvn' on PATH)" in message and "install Maven" in message
    assert "KAFKA_UTILS_JARS_DIR" in message


def test_a_missing_java_is_one_line_saying_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KAFKA_UTILS_JARS_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(JarsUnavailableError) as caught:
        jar_cache.jars("broker")
    assert "\n" not in str(caught.value) and "JDK 17" in str(caught.value)


def test_the_command_says_where_the_jars_are():
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "kafka_utils.jars"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["spark jars", "broker jars"]
    assert str(jar_cache.cache_dir() / "spark") in lines[0]
    assert "fetching" not in done.stderr  # the cache was filled already
