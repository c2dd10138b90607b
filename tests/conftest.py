import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafka_utils.clients import close_within
from kafka_utils.timing import scaled
from tests import spark_jvm
from tests.e2e.producing import stop_leftover_producers
from tests.integration.job_runs import kill_leftover_jobs

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Every Spark JVM of the run (the workers' sessions, the jobs and spark-submits the tests start)
# gets the suite's Java options: set before the first one starts, inherited by the workers.
_JVM = spark_jvm.java_options()
if _JVM not in os.environ.get("SPARK_SUBMIT_OPTS", ""):
    os.environ["SPARK_SUBMIT_OPTS"] = f"{os.environ.get('SPARK_SUBMIT_OPTS', '')} {_JVM}".strip()
TESTS_DIR = Path(__file__).resolve().parent
# Spark's Python workers (and jobs run in subprocesses) import test processors from here.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p
)
sys.path.insert(0, str(TESTS_DIR))


@pytest.fixture(autouse=True)
def _no_leftovers(request: pytest.FixtureRequest) -> Iterator[None]:
    """What a failed test left running (a job process, a producer thread, a streaming query
    of the shared session) is stopped before the next test, which would otherwise share the
    machine, the broker and the session with it."""
    yield
    stop_leftover_producers()
    leftover = kill_leftover_jobs()
    if "spark" in request.fixturenames:
        leftover += stop_leftover_queries(request.getfixturevalue("spark"))
    if leftover:
        warnings.warn(f"stopped what the test left running: {leftover}", stacklevel=1)


def stop_leftover_queries(spark) -> list[str]:
    try:
        queries = spark.streams.active
    except Exception as broken:  # a session whose JVM call was cut by a timeout: nothing to stop
        return [f"no query list from the session ({type(broken).__name__})"]
    for query in queries:
        close_within(query.stop, scaled(60))
    return [f"query {query.name or query.id}" for query in queries]


_MARK_BY_FOLDER = {
    "unit": pytest.mark.unit,
    "integration": pytest.mark.integration,
    "e2e": pytest.mark.e2e,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test gets its folder's marker, and pytest-timeout's limit (the ini ``timeout``)
    stretched by ``$KAFKA_UTILS_TIME_SCALE`` like every other deadline."""
    limit = scaled(float(config.getini("timeout") or 0))
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in _MARK_BY_FOLDER:
            item.add_marker(_MARK_BY_FOLDER[folder])
        if limit and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(limit))
    items.sort(key=_weight_of_file(items))


def _weight_of_file(items: list[pytest.Item]):
    """Files with e2e tests first, then files with slow ones, then the rest, each group in
    collection order (a stable sort): ``make test`` hands files to its workers in this order
    (``--no-loadscope-reorder``), so the longest start first and the many short ones fill in
    at the end, instead of a two-test file of fifteen minutes starting last."""
    weight: dict[str, int] = {}
    for item in items:
        kind = 0 if item.get_closest_marker("e2e") else 1 if item.get_closest_marker("slow") else 2
        weight[item.path] = min(kind, weight.get(item.path, 2))
    return lambda item: weight[item.path]
