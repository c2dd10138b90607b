"""Entry points log under their module's name (``jobs.stream``), never as ``__main__``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import jobs
from jobs import launch

JOBS = Path(jobs.__file__).resolve().parent


@pytest.mark.parametrize(
    ("file", "name"),
    [
        (JOBS / "stream.py", "jobs.stream"),
        ("/opt/app/deploy/jobs/maintain.py", "jobs.maintain"),
        (JOBS / "demo" / "__main__.py", "jobs.demo"),
    ],
)
def test_run_as_main_the_logger_has_the_module_name(file, name):
    assert launch.module_logger("__main__", str(file)).name == name


def test_imported_the_logger_has_its_import_name():
    assert launch.module_logger("jobs.stream", "/anywhere/x.py").name == "jobs.stream"


RUN_AS_MAIN = """
import runpy, sys
from jobs import launch
launch.run_command = lambda command: 0  # load the module as __main__, run nothing
launch.exit_with = lambda code: None
module = {run}
print(module["__name__"], module["log"].name)
"""


@pytest.mark.parametrize(
    "run",
    [
        "runpy.run_module('jobs.stream', run_name='__main__')",  # python -m jobs.stream
        "runpy.run_path(sys.argv[1], run_name='__main__')",  # spark-submit jobs/stream.py
    ],
)
def test_the_stream_run_as_main_logs_as_jobs_stream(run):
    done = subprocess.run(
        [sys.executable, "-c", RUN_AS_MAIN.format(run=run), str(JOBS / "stream.py")],
        cwd=JOBS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["__main__", "jobs.stream"]
