"""PySpark-style Kafka tests (tests/compat/kafka_helper_contract.py) pass against our helper.

The same module runs against PySpark's own helper (``pyspark/sql/tests/streaming/
kafka_utils.py`` of apache/spark, which the pyspark wheel does not ship) when
``KAFKA_UTILS_PYSPARK_HELPER`` names a copy of that file and
``KAFKA_UTILS_PYSPARK_HELPER_GENERATION`` says which generation it is (``current`` or
``reference``); its testcontainers broker is then played by our embedded one
(tests/compat/embedded_kafka_container.py). Only the ``from … import KafkaUtils`` line differs.
PySpark's helper passes ``api_version_auto_timeout_ms``, which kafka-python 3 refuses: give it
a kafka-python 2 (``pip install --target DIR 'kafka-python<3'``) with
``KAFKA_UTILS_PYSPARK_HELPER_DEPS=DIR``.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kafka_utils.spark_session import LOG4J_CONFIG, spark_conf
from kafka_utils.timing import scaled

COMPAT = Path(__file__).resolve().parents[1] / "compat"
CONTRACT = COMPAT / "kafka_helper_contract.py"
IMPORT_LINE = "from kafka_utils import KafkaUtils  # the helper under test"
HELPER_ENV = "KAFKA_UTILS_PYSPARK_HELPER"
GENERATION_ENV = "KAFKA_UTILS_PYSPARK_HELPER_GENERATION"
DEPS_ENV = "KAFKA_UTILS_PYSPARK_HELPER_DEPS"

pytestmark = pytest.mark.slow


def run_contract(
    folder: Path, import_line: str, generations: str, broker: str = "", extra_path: str = ""
) -> str:
    """Run the contract module with ``import_line`` in a fresh process; return its report.
    With ``broker``, testcontainers' KafkaContainer is played by the broker there."""
    text = CONTRACT.read_text()
    assert text.count(IMPORT_LINE) == 1
    (folder / CONTRACT.name).write_text(text.replace(IMPORT_LINE, import_line))
    submit = (
        f"--jars {spark_conf()['spark.jars']} --conf spark.driver.host=127.0.0.1 "
        f"--conf spark.ui.enabled=false --driver-java-options "
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()} pyspark-shell"
    )
    environment = {
        **os.environ,
        "PYSPARK_SUBMIT_ARGS": submit,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "KAFKA_HELPER_GENERATIONS": generations,
        "PYTHONPATH": os.pathsep.join(filter(None, [extra_path, str(folder), str(COMPAT)])),
    }
    environment.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    shim = ""
    if broker:
        environment["KAFKA_BOOTSTRAP_SERVERS"] = broker
        shim = "import embedded_kafka_container; "
    script = (
        f"{shim}import unittest; unittest.main(module='kafka_helper_contract', argv=['c', '-v'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=scaled(1200),
    )
    assert done.returncode == 0, done.stderr[-6000:]
    return done.stderr


def counts(report: str) -> tuple[int, int]:
    ran = int(re.search(r"^Ran (\d+) tests?", report, re.M).group(1))
    skipped = re.search(r"skipped=(\d+)", report)
    return ran, int(skipped.group(1)) if skipped else 0


def test_pyspark_style_tests_pass_against_our_helper(tmp_path):
    report = run_contract(tmp_path, IMPORT_LINE, "current,reference")
    ran, skipped = counts(report)
    assert ran >= 20 and skipped == 0, report[-3000:]


def test_the_same_tests_pass_against_pysparks_helper(tmp_path, kafka_utils):
    helper = os.environ.get(HELPER_ENV)
    if not helper:
        pytest.skip(f"{HELPER_ENV} names no copy of PySpark's kafka_utils.py (not in the wheel)")
    shutil.copy(helper, tmp_path / "pyspark_kafka_helper.py")
    generation = os.environ.get(GENERATION_ENV, "current")
    import_line = "from pyspark_kafka_helper import KafkaUtils  # PySpark's"
    report = run_contract(
        tmp_path, import_line, generation, kafka_utils.broker, os.environ.get(DEPS_ENV, "")
    )
    ran, skipped = counts(report)
    assert ran - skipped >= 15, report[-3000:]
