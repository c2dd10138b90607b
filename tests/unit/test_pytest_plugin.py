"""The pytest plugin as a user's project meets it: documented fixtures, ini options."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kafka_utils.timing import scaled


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )


def write_project(folder: Path, ini: str, test: str = "") -> Path:
    (folder / "pytest.ini").write_text(textwrap.dedent(ini))
    (folder / "test_options.py").write_text(textwrap.dedent(test))
    return folder


def test_fixtures_are_listed_with_their_docstrings(tmp_path):
    done = run_pytest(write_project(tmp_path, "[pytest]\n"), "--fixtures")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "fixtures defined from kafka_utils.pytest_plugin" in text
    for name, doc in [
        ("kafka_utils [session scope]", "A started :class:`kafka_utils.KafkaUtils`"),
        ("spark [session scope]", "A local SparkSession, one per test run"),
        ("topic", "A factory of created topics with unique names"),
        ("unique_name", "A factory of unique names"),
    ]:
        assert f"{name} -- " in text and doc in text, name


def test_spark_options_and_jars_come_from_the_ini_file(tmp_path):
    ini = """\
        [pytest]
        kafka_utils_spark_options =
            spark.sql.session.timeZone: UTC
            spark.hadoop.fs.s3a.endpoint: http://127.0.0.1:9000
        kafka_utils_spark_jars = libs/udfs.jar
        """
    test = """\
        from kafka_utils.pytest_plugin import ini_spark_options

        def test_options(pytestconfig):
            assert ini_spark_options(pytestconfig) == {
                "spark.sql.session.timeZone": "UTC",
                "spark.hadoop.fs.s3a.endpoint": "http://127.0.0.1:9000",
            }
            jars = pytestconfig.getini("kafka_utils_spark_jars")
            assert [str(j) for j in jars] == [str(pytestconfig.rootpath / "libs" / "udfs.jar")]
        """
    done = run_pytest(write_project(tmp_path, ini, test), "-q")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_malformed_option_stops_the_run_naming_the_line(tmp_path):
    ini = "[pytest]\nkafka_utils_spark_options = spark.sql.shuffle.partitions=4\n"
    done = run_pytest(write_project(tmp_path, ini, "def test_never(): pass\n"))
    assert done.returncode == 4
    assert (
        "kafka_utils_spark_options: expected 'key: value', got 'spark.sql.shuffle.partitions=4'"
        in done.stderr
    )


def test_the_first_resolution_is_shown_through_pytests_capture(tmp_path):
    test = """\
        from kafka_utils.pytest_plugin import _resolve_jars_visibly

        def test_resolve(pytestconfig):
            _resolve_jars_visibly(pytestconfig, "spark")
        """
    project = write_project(tmp_path, "[pytest]\n", test)
    environment = {**os.environ, "KAFKA_UTILS_JARS_DIR": str(tmp_path / "empty-cache")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=scaled(600),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kafka-utils: fetching the spark jars with Maven" in done.stderr
    assert "kafka-utils: spark jars ready: 12 files" in done.stderr


@pytest.mark.slow
def test_a_session_stopped_or_killed_by_a_test_is_started_again_for_the_next(tmp_path):
    test = """\
        import os
        import signal

        import pytest
        from pyspark import SparkContext


        @pytest.fixture(scope="module")
        def held(spark):
            return spark


        def test_1_stops_the_session(spark):
            spark.stop()


        def test_2_has_it_again_in_the_same_object(spark, held):
            assert held is spark
            assert spark.range(3).count() == 3


        def test_3_kills_its_jvm(spark):
            jvm = SparkContext._gateway.proc
            os.kill(jvm.pid, signal.SIGKILL)
            jvm.wait()


        def test_4_has_it_again_in_a_new_jvm(spark, held):
            assert held is spark
            assert spark.sql("SELECT 40 + 2").first()[0] == 42
        """
    project = write_project(tmp_path, "[pytest]\n", test)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=scaled(300),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed, 2 warnings" in done.stdout, done.stdout
    warned = done.stdout[done.stdout.index("warnings summary") :]
    assert "the shared SparkSession had stopped" in warned
    assert "test_2_has_it_again" in warned and "test_4_has_it_again" in warned
