"""The lease file on a filesystem: created only if absent, read with its modification time,
renewed, taken over from a holder that no longer counts, and deleted.

Local filesystems (a path or ``file:``) use the OS: every change of the lease happens under an
exclusive ``flock`` of a guard file beside it (which stays: deleting a file others may be
waiting to lock would let two jobs hold it), so that of two jobs creating or taking over at
once exactly one wins; the lease itself is a complete temporary file hard-linked to the lease
name (``link`` fails if the name exists) or renamed over the old lease (``rename``), never a
half-written file. Renaming the old lease away and back, without the lock, left a moment with
no lease at all, in which a third job could create one and a second believe it still held its
own.

Hadoop filesystems go through the JVM (``HadoopLeaseFile``). On HDFS, ``rename`` to an existing
name fails and ``rename`` of a missing one fails, both atomically at the NameNode: of jobs
taking over at once one wins, but one that finds the lease renewed meanwhile renames it away and
back, a moment in which a third could create one; the heartbeat of the job that lost its lease
that way finds it another's and stops it (``CheckpointLock``). Object stores (s3a, gs, abfs)
have no atomic rename and no exclusive create through Hadoop: there two jobs starting within the
same second may both believe they hold the lease; the loser's renewals then find the lease is
not theirs and stop it (see ``CheckpointLock``), and Spark's own offset log refuses a second
writer of a batch.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

__all__ = ["HadoopLeaseFile", "LeaseFile", "LocalLeaseFile"]


class LeaseFile(Protocol):
    name: str

    def create(self, text: str) -> bool: ...
    def read(self) -> tuple[str, float] | None: ...
    def renew(self) -> None: ...
    def take_over(self, expected: str, text: str) -> bool: ...
    def delete(self) -> None: ...


class LocalLeaseFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def create(self, text: str) -> bool:
        """Write ``text`` under the lease name unless it exists; False if it does."""
        with self._exclusive():
            temporary = self._written(text)
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                return False
            finally:
                temporary.unlink()
            return True

    def read(self) -> tuple[str, float] | None:
        """The text and the time of the last renewal; None when there is no lease."""
        try:
            return self.path.read_text(), self.path.stat().st_mtime
        except FileNotFoundError:
            return None

    def renew(self) -> None:
        os.utime(self.path)

    def take_over(self, expected: str, text: str) -> bool:
        """Replace the lease that reads ``expected``; False when another job got there first."""
        with self._exclusive():
            found = self.read()
            if found is None or found[0] != expected:
                return False
            os.replace(self._written(text), self.path)
            return True

    def delete(self) -> None:
        with self._exclusive():
            self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Held by one job (one thread) at a time on this host; released when closed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.guard"), "a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            yield

    def _written(self, text: str) -> Path:
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_text(text)
        return temporary


class HadoopLeaseFile:
    """The same operations through Hadoop's FileSystem, for hdfs://, s3a:// and the like."""

    def __init__(self, spark, location: str, file_name: str) -> None:
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        self._path = jvm.org.apache.hadoop.fs.Path(f"{location.rstrip('/')}/{file_name}")
        self._fs = self._path.getFileSystem(spark._jsparkSession.sessionState().newHadoopConf())
        self.name = str(self._path.toString())

    def create(self, text: str) -> bool:
        if self._fs.exists(self._path):
            return False
        temporary = self._aside("tmp")
        self._write(temporary, text)
        if self._fs.rename(temporary, self._path):
            return True
        self._fs.delete(temporary, False)
        return False

    def read(self) -> tuple[str, float] | None:
        if not self._fs.exists(self._path):
            return None
        status = self._fs.getFileStatus(self._path)
        return self._read_path(self._path), status.getModificationTime() / 1000

    def renew(self) -> None:
        """``setTimes`` where the filesystem keeps it (HDFS); else the lease is written again
        (object stores, whose objects change their time only when written)."""
        before = self._fs.getFileStatus(self._path).getModificationTime()
        now = int(time.time() * 1000)
        self._fs.setTimes(self._path, now, -1)
        if self._fs.getFileStatus(self._path).getModificationTime() == before:
            found = self.read()
            if found is not None:
                self._write(self._path, found[0])

    def take_over(self, expected: str, text: str) -> bool:
        away = self._aside("old")
        if not self._fs.rename(self._path, away):
            return False
        found = self._read_path(away)
        if found != expected and not self._fs.exists(self._path):
            self._fs.rename(away, self._path)
            return False
        self._fs.delete(away, False)
        return found == expected and self.create(text)

    def delete(self) -> None:
        self._fs.delete(self._path, False)

    def _aside(self, kind: str):
        parent, name = self._path.getParent(), self._path.getName()
        return self._jvm.org.apache.hadoop.fs.Path(parent, f".{name}.{uuid.uuid4().hex}.{kind}")

    def _write(self, path, text: str) -> None:
        stream = self._fs.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def _read_path(self, path) -> str:
        stream = self._fs.open(path)
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
            return bytes(data).decode("utf-8")
        finally:
            stream.close()
