"""One write at a time per Delta table on a local filesystem, across processes.

Delta's log store for local paths (``HDFSLogStore``) claims a table version by checking that
its file does not exist, then renaming a temporary file onto it: atomic within one JVM, which
it synchronizes, and not across JVMs, whose renames overwrite. The stream, ``jobs.maintain``
and the replays are separate JVMs: two of them claiming the same version at the same moment
both succeed, the later commit replaces the earlier one (the stream's rows, or a compaction,
vanish from the table) and the version's checksum file may come from the other writer (the
table no longer reads: ``FAILED_READ_FILE`` on that version). So on a local filesystem every
write of these jobs holds an exclusive ``flock`` on ``_kafka-stream-commit.lock`` in the
table's folder for the whole write (Delta and VACUUM leave ``_`` files alone). A writer killed
with ``kill -9`` releases it with its process.

Elsewhere Delta's own log store is the guard: HDFS's rename refuses an existing target, and
object stores need the log store their docs name for several writers (S3: DynamoDB).
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from jobs.io.paths import local_path

__all__ = ["LOCK_FILE", "commit_lock"]

log = logging.getLogger(__name__)
LOCK_FILE = "_kafka-stream-commit.lock"


@contextmanager
def commit_lock(path: str) -> Iterator[None]:
    """Hold the table at ``path`` for one write; a no-op unless it is on a local filesystem."""
    folder = local_path(path)
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as file:
        _take(file, path)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _take(file: IO[str], path: str) -> None:
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        holder = file.read().strip() or "another process"
        log.info("%s: waiting for the write of %s to finish", path, holder)
        fcntl.flock(file, fcntl.LOCK_EX)
    file.seek(0)
    file.truncate()
    since = datetime.now(UTC).isoformat(timespec="seconds")
    file.write(f"pid {os.getpid()} on {socket.gethostname()} since {since}\n")
    file.flush()
