"""KafkaUtils as another project meets it: a wheel pip-installed into a fresh virtualenv outside
this repository, used by a pytest suite and a unittest suite in a folder with its own ``jobs``
(the README's two examples among them).

Installing pyspark (~400 MB) into every fresh virtualenv would take minutes, so the new
virtualenv sees this one's site-packages through a ``.pth`` path line (which loads none of its
``.pth`` hooks, so not the editable install of this repository), and the built wheel is
installed with a real ``pip install --no-deps``: ``kafka_utils`` then comes from the new
virtualenv's own site-packages, with its package data and its ``pytest11`` entry point.
The wheel's dependency metadata is checked on its own.
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from kafka_utils import jar_cache
from kafka_utils.timing import scaled

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = {"pyspark", "delta-spark", "kafka-python", "pyarrow", "pandas"}
TEST_ONLY = {"pytest", "chispa", "testcontainers"}

pytestmark = pytest.mark.slow


def run(command: list, cwd: Path, env: dict[str, str], timeout: float = 900):
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(timeout),
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, REPO],
        REPO,
        dict(os.environ),
    )
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("kafka_stream-*.whl")
    return found


@pytest.fixture(scope="module")
def user_env(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> dict[str, str]:
    """A fresh virtualenv with the wheel installed, and the environment a user's shell has."""
    venv = tmp_path_factory.mktemp("user-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv, {})
    Path(site.stdout.strip(), "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        "KAFKA_UTILS_JARS_DIR": str(jar_cache.cache_root()),  # filled by this run already
        **{k: v for k, v in os.environ.items() if k in ("JAVA_HOME", "XDG_CACHE_HOME")},
    }
    installed = run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], venv, env)
    assert installed.returncode == 0, installed.stderr
    return {**env, "USER_PYTHON": str(python), "USER_SITE": site.stdout.strip()}


def test_wheel_metadata_splits_production_and_test_dependencies(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = email.parser.Parser().parsestr(archive.read(metadata).decode())
        entry_points = archive.read(metadata.replace("METADATA", "entry_points.txt")).decode()
    requirements = headers.get_all("Requires-Dist")
    plain = {_name(r) for r in requirements if ";" not in r}
    test = {_name(r) for r in requirements if 'extra == "test"' in r}
    assert plain == PRODUCTION
    assert test == TEST_ONLY
    assert {"kafka_utils/pom.xml", "kafka_utils/log4j2.properties"} <= set(names)
    assert "kafka_utils = kafka_utils.pytest_plugin" in entry_points


def _name(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].strip().split("<")[0].split(">")[0].split("=")[0]


def test_the_installed_harness_imports_without_pytest_and_from_its_own_site(user_env, tmp_path):
    script = (
        "import sys; sys.modules['pytest'] = None\n"
        "import kafka_utils, kafka_utils.jar_cache as c\n"
        "print(kafka_utils.__file__); print(c.POM.is_file())\n"
    )
    done = run([user_env["USER_PYTHON"], "-c", script], tmp_path, user_env)
    assert done.returncode == 0, done.stderr
    where, pom_found = done.stdout.split()
    assert where.startswith(user_env["USER_SITE"]) and pom_found == "True"


def test_a_users_pytest_and_unittest_suites_run_against_the_installed_wheel(user_env, tmp_path):
    project = write_user_project(tmp_path / "user-project")
    python = user_env["USER_PYTHON"]
    pytest_run = run(
        [python, "-m", "pytest", "-v", "-o", "log_cli=true", "--log-cli-level=WARNING", "tests"],
        project,
        user_env,
    )
    output = pytest_run.stdout + pytest_run.stderr
    assert pytest_run.returncode == 0, output[-6000:]
    assert "6 passed" in output
    assert "warnings summary" not in output and "DeprecationWarning" not in output, output
    assert "live log" not in output, output  # no WARNING from the harness's Kafka clients
    unittest_run = run(
        [python, "-m", "unittest", "discover", "-v", "-s", "unittests"], project, user_env
    )
    assert unittest_run.returncode == 0, unittest_run.stderr[-6000:]
    assert "Ran 3 tests" in unittest_run.stderr and "OK" in unittest_run.stderr


def test_an_empty_jar_cache_is_filled_once_saying_what_and_how_big(user_env, tmp_path):
    env = {**user_env, "KAFKA_UTILS_JARS_DIR": str(tmp_path / "empty-cache")}
    first = run([user_env["USER_PYTHON"], "-m", "kafka_utils.jars"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "fetching the spark jars with Maven, once per user: org.apache.spark:spark-sql-" in (
        first.stderr
    )
    assert "spark jars ready: 12 files, " in first.stderr
    assert "broker jars ready: " in first.stderr
    assert str(tmp_path / "empty-cache") in first.stdout
    again = run([user_env["USER_PYTHON"], "-m", "kafka_utils.jars"], tmp_path, env)
    assert again.returncode == 0 and "fetching" not in again.stderr
    assert again.stdout == first.stdout


def readme_example(heading: str) -> str:
    """The first Python block after ``heading`` in the README: its examples are run here."""
    text = (REPO / "README.md").read_text()
    after = text[text.index(heading) :]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def write_user_project(folder: Path) -> Path:
    files = {
        "jobs/__init__.py": 'WHO = "the user project\'s own jobs package"\n',
        "pyproject.toml": USER_PYPROJECT,
        "tests/test_with_kafka.py": USER_PYTEST_SUITE,
        "tests/test_readme.py": readme_example("With pytest, the fixtures come with the package"),
        "unittests/test_with_kafka.py": USER_UNITTEST_SUITE,
        "unittests/test_readme.py": readme_example("With unittest, subclass `KafkaTestCase`"),
    }
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (folder / "libs").mkdir()
    with zipfile.ZipFile(folder / "libs" / "marker.jar", "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    return folder


USER_PYPROJECT = """\
    [tool.pytest.ini_options]
    kafka_utils_spark_options = ["spark.sql.shuffle.partitions: 3"]
    kafka_utils_spark_jars = ["libs/marker.jar"]
    """

USER_PYTEST_SUITE = """\
    import os

    import jobs
    import kafka_utils
    from pyspark.sql import functions as F


    def test_the_projects_own_jobs_package_is_imported():
        assert jobs.WHO == "the user project's own jobs package"
        assert kafka_utils.__file__.startswith(os.environ["USER_SITE"])


    def test_the_spark_fixture_takes_the_ini_settings(spark):
        assert spark.conf.get("spark.sql.shuffle.partitions") == "3"
        assert "marker.jar" in spark.sparkContext.getConf().get("spark.jars")


    def test_a_streaming_query_reads_what_was_sent(spark, kafka_utils, topic, tmp_path):
        name = topic(partitions=2)
        kafka_utils.send_messages(name, [(f"k{i}", i) for i in range(10)])
        query = (
            spark.readStream.format("kafka")
            .options(**kafka_utils.spark_options)
            .option("subscribe", name)
            .option("startingOffsets", "earliest")
            .load()
            .select(F.col("value").cast("string").alias("value"))
            .writeStream.format("memory")
            .queryName("user_values")
            .option("checkpointLocation", str(tmp_path / "checkpoint"))
            .start()
        )
        try:
            kafka_utils.wait_for_query_alive(query)
            kafka_utils.assert_eventually(
                lambda: sorted(int(r.value) for r in spark.table("user_values").collect()),
                list(range(10)),
                timeout=180,
                query=query,
            )
        finally:
            query.stop()


    def test_get_all_records_reads_through_spark(spark, kafka_utils, topic):
        name = topic()
        kafka_utils.send_messages(name, [("b", 2), ("a", 1)])
        assert kafka_utils.get_all_records(spark, name) == [("a", "1"), ("b", "2")]
        assert kafka_utils.get_all_records(spark, name) == {"a": "1", "b": "2"}


    def test_a_delta_table(spark, tmp_path):
        spark.range(3).write.format("delta").save(str(tmp_path / "table"))
        assert spark.read.format("delta").load(str(tmp_path / "table")).count() == 3
    """

USER_UNITTEST_SUITE = """\
    import unittest

    from kafka_utils import KafkaTestCase


    class OrdersTest(KafkaTestCase):
        def test_round_trip_through_spark(self):
            self.kafka_utils.create_topics(["orders"])
            self.kafka_utils.send_messages("orders", [("order-1", 12.5)])
            records = self.kafka_utils.get_all_records(self.spark, "orders")
            self.assertEqual(records, [("order-1", "12.5")])

        def test_a_wait(self):
            self.kafka_utils.assert_eventually(lambda: 1 + 1, 2, timeout=5)


    if __name__ == "__main__":
        unittest.main()
    """
