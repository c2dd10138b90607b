"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cluster_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with this venv's packages (pyspark, pyarrow, pandas, kafka-python) and no
    ``jobs``/``kafka_utils``: the venv's site-packages come in through a ``.pth`` path line,
    which does not run the ``.pth`` hook of the editable install found there."""
    root = tmp_path_factory.mktemp("cluster-python")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    measure_coverage_in(Path(site))
    for module in ("jobs", "kafka_utils"):
        found = subprocess.run(
            [str(python), "-c", f"import {module}"], cwd=root, capture_output=True
        )
        assert found.returncode != 0, f"{module} must not be importable from {python}"
    return python


def measure_coverage_in(site: Path) -> None:
    """When this run measures coverage, the cluster Python does too (spark-submit's driver and
    the executors, which import ``jobs`` from the zip): coverage's own start-up ``.pth``, which
    the path line above does not load, goes into its site-packages."""
    if not os.environ.get("COVERAGE_PROCESS_CONFIG"):
        return
    for hook in Path(sysconfig.get_path("purelib")).glob("*coverage*.pth"):
        shutil.copy(hook, site / hook.name)
