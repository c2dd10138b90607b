import os
import sys
from pathlib import Path

import pytest

from kafka_utils.timing import scaled

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
TESTS_DIR = Path(__file__).resolve().parent
# Spark's Python workers (and jobs run in subprocesses) import test processors from here.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p
)
sys.path.insert(0, str(TESTS_DIR))

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
