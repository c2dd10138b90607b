"""The checkpoint lease on a local filesystem: one holder, take-overs, renewals, release."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time

import pytest

from jobs.core.errors import ConfigError
from jobs.core.lease import LEASE_FILE, Lease, is_expired
from jobs.io.checkpoint_lock import CheckpointLock, is_running, process_start
from jobs.io.lease_files import LocalLeaseFile
from kafka_utils import assert_eventually


def foreign_lease(path, *, host: str, pid: int, age: float = 0.0, start: str = "") -> str:
    lease = Lease("orders", host, pid, "2026-11-28T07:00:00Z", "elsewhere-run", 30.0, start)
    path.mkdir(parents=True, exist_ok=True)
    (path / LEASE_FILE).write_text(lease.to_text())
    if age:
        then = time.time() - age
        os.utime(path / LEASE_FILE, (then, then))
    return lease.to_text()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_lease_reads_back_and_garbage_is_refused():
    lease = Lease("orders", "h1", 42, "2026-11-28T07:00:00Z", "r1", 30.0, "123")
    assert Lease.from_text(lease.to_text()) == lease
    for text in ("", "[]", '{"job": "x"}', json.dumps({**json.loads(lease.to_text()), "pid": "x"})):
        with pytest.raises(ValueError):
            Lease.from_text(text)
    assert is_expired(lease, renewed_at=100.0, now=131.0)
    assert not is_expired(lease, renewed_at=100.0, now=129.0)
    assert "job 'orders' on host h1, pid 42, since 2026-11-28T07:00:00Z" in lease.describe(0, 3)


def test_a_local_lease_file_is_created_once_and_taken_over_only_as_read(tmp_path):
    file = LocalLeaseFile(tmp_path / "ckpt" / LEASE_FILE)
    assert file.create("first") and not file.create("second")
    text, renewed_at = file.read()
    assert text == "first" and abs(renewed_at - time.time()) < 60
    assert not file.take_over("not what is there", "third")
    assert file.read()[0] == "first"
    assert file.take_over("first", "fourth")
    assert file.read()[0] == "fourth"
    file.delete()
    assert file.read() is None
    assert sorted(os.listdir(tmp_path / "ckpt")) == [f".{LEASE_FILE}.guard"]


def test_a_second_lock_on_a_held_checkpoint_names_the_holder(tmp_path):
    with CheckpointLock(str(tmp_path), "orders", 30) as first:
        first.acquire()
        with pytest.raises(ConfigError) as refused:
            CheckpointLock(str(tmp_path), "orders", 30).acquire()
    message = str(refused.value)
    assert message.startswith("--checkpoint: ")
    assert f"in use by job 'orders' on host {socket.gethostname()}, pid {os.getpid()}" in message
    assert first.lease.since in message and "\n" not in message
    assert not (tmp_path / LEASE_FILE).exists(), "released on leaving"
    CheckpointLock(str(tmp_path), "orders", 30).acquire()


def test_a_holder_gone_from_this_host_is_taken_over_at_once(tmp_path):
    foreign_lease(tmp_path, host=socket.gethostname(), pid=dead_pid())
    lock = CheckpointLock(str(tmp_path), "orders", 30)
    lock.acquire()
    assert Lease.from_text((tmp_path / LEASE_FILE).read_text()).run_id == lock.lease.run_id
    lock.release()


def test_a_reused_pid_does_not_pass_for_the_holder(tmp_path):
    foreign_lease(tmp_path, host=socket.gethostname(), pid=os.getpid(), start="1")
    assert not is_running(os.getpid(), "1") and is_running(os.getpid(), process_start(os.getpid()))
    lock = CheckpointLock(str(tmp_path), "orders", 30)
    lock.acquire()
    lock.release()


def test_a_holder_on_another_host_blocks_until_its_lease_expires(tmp_path):
    foreign_lease(tmp_path, host="another-host", pid=1)
    with pytest.raises(ConfigError, match="on host another-host, pid 1"):
        CheckpointLock(str(tmp_path), "orders", 30).acquire()
    foreign_lease(tmp_path, host="another-host", pid=1, age=31)
    lock = CheckpointLock(str(tmp_path), "orders", 30)
    lock.acquire()
    lock.release()


def test_an_unreadable_lease_is_named_and_taken_over_once_old(tmp_path):
    (tmp_path / LEASE_FILE).write_text("")
    with pytest.raises(ConfigError, match=f"{LEASE_FILE} is not a lease this job wrote"):
        CheckpointLock(str(tmp_path), "orders", 30).acquire()
    then = time.time() - 31
    os.utime(tmp_path / LEASE_FILE, (then, then))
    CheckpointLock(str(tmp_path), "orders", 30).acquire()


def test_of_many_jobs_taking_over_at_once_exactly_one_wins(tmp_path):
    foreign_lease(tmp_path, host="another-host", pid=1, age=60)
    locks = [CheckpointLock(str(tmp_path), "orders", 30) for _ in range(8)]
    won, refused = [], []
    start = threading.Barrier(len(locks))

    def take(lock: CheckpointLock) -> None:
        start.wait()
        try:
            lock.acquire()
            won.append(lock)
        except ConfigError:
            refused.append(lock)

    threads = [threading.Thread(target=take, args=(lock,)) for lock in locks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 7
    assert Lease.from_text((tmp_path / LEASE_FILE).read_text()) == won[0].lease
    for lock in locks:
        lock.release()


def test_the_heartbeat_renews_the_lease_and_notices_when_it_is_lost(tmp_path):
    lost: list[str] = []
    lock = CheckpointLock(str(tmp_path), "orders", 3, on_lost=lost.append)
    lock.acquire()
    path = tmp_path / LEASE_FILE
    then = time.time() - 20
    os.utime(path, (then, then))
    assert_eventually(lambda: time.time() - path.stat().st_mtime < 5, True, timeout=10)

    foreign_lease(tmp_path, host="another-host", pid=1)
    assert_eventually(lambda: list(lost), lambda seen: len(seen) == 1, timeout=10)
    assert "another job's" in lost[0] and lost == [lock.lost]
    lock.release()
    assert path.exists(), "another job's lease is left alone"
