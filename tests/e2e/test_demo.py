"""``make demo``, the README's first command, as a user runs it: the demo as a process, then
the one-line query it prints, pasted into a shell."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kafka_utils.timing import scaled
from tests.integration.job_runs import REPO

pytestmark = pytest.mark.slow


def test_the_demo_prints_what_landed_where_and_a_query_that_runs_as_printed(tmp_path):
    demo = subprocess.run(
        [sys.executable, "-m", "jobs.demo", "--records", "600", "--workdir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=scaled(600),
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    printed = demo.stdout
    assert "600 records through the job" in printed
    assert re.search(r"^total\s+600\s+570\s+30$", printed, re.M), printed
    for error_type in ("InvalidJson", "MissingField", "NotAnObject", "NullValue"):
        assert re.search(rf"^\s+{error_type}\s+5$", printed, re.M), printed

    one_line = printed.split("Or in one line, from the repository root:\n", 1)[1].splitlines()[0]
    query = subprocess.run(
        one_line.strip(), shell=True, cwd=REPO, capture_output=True, text=True, timeout=scaled(300)
    )
    assert query.returncode == 0, query.stderr[-3000:]
    rows = [line for line in query.stdout.splitlines() if line.startswith("|")]
    assert len(rows) > 1 and "event_id" in rows[0], query.stdout
