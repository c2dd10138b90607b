"""``commit_lock``: a write to a local table waits for another process's write to it."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest

from jobs.io.commit_lock import LOCK_FILE, commit_lock
from kafka_utils import assert_eventually

pytestmark = pytest.mark.unit

HOLDER = """
import sys
from jobs.io.commit_lock import commit_lock
with commit_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_write_waits_while_another_process_writes_the_same_table(tmp_path, caplog):
    table = str(tmp_path / "backup")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, table],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        wrote = threading.Event()

        def write() -> None:
            with commit_lock(table):
                wrote.set()

        caplog.set_level(logging.INFO, logger="jobs.io.commit_lock")
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert_eventually(lambda: f"pid {holder.pid} on" in caplog.text, True, timeout=60)
        assert not wrote.is_set(), "the write went ahead while the other process held the table"
        holder.stdin.write("done\n")
        holder.stdin.flush()
        assert holder.wait(timeout=60) == 0
        writer.join(timeout=60)
        assert wrote.is_set()
    finally:
        holder.kill()
        holder.wait()


def test_a_writer_killed_while_writing_leaves_the_table_free(tmp_path):
    table = str(tmp_path / "backup")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, table], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline().strip() == b"held"
    holder.kill()
    holder.wait()
    with commit_lock(table):
        assert (tmp_path / "backup" / LOCK_FILE).read_text().startswith("pid ")


def test_a_remote_table_takes_no_lock_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with commit_lock("s3a://bucket/backup"):
        pass
    assert list(tmp_path.iterdir()) == []
