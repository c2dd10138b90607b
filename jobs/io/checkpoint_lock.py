"""One job per checkpoint: a lease file in the checkpoint directory, renewed by a heartbeat.

A second job on the same checkpoint fails at start (exit 2) naming the holder. A holder killed
with ``kill -9`` blocks a restart for at most its lease term (``--checkpoint-lease``, 30 s by
default), and not at all on the same host, where a holder whose process is gone is taken over
at once. A clean exit deletes the lease. What "atomic" means on each filesystem:
``jobs.io.lease_files``. Clocks: a lease counts as renewed when its file was last modified, as
the filesystem reports it, compared with this host's clock: hosts more than a few seconds apart
shorten or lengthen the term by that much.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from jobs.core.errors import ConfigError
from jobs.core.lease import LEASE_FILE, Lease, is_expired, now_text, renew_every
from jobs.io.lease_files import HadoopLeaseFile, LeaseFile, LocalLeaseFile
from jobs.io.paths import local_path

__all__ = ["CheckpointLock"]

log = logging.getLogger(__name__)


class CheckpointLock:
    """``acquire`` before the query starts, ``release`` (or leave the ``with``) at the end.

    ``lost`` is set when a renewal finds the lease gone or another job's: this job must stop.
    """

    def __init__(
        self,
        location: str,
        job: str,
        seconds: float,
        on_lost: Callable[[str], None] = lambda why: None,
    ) -> None:
        self.location = location
        self.on_lost = on_lost
        self.lease = Lease(
            job=job,
            host=socket.gethostname(),
            pid=os.getpid(),
            since=now_text(),
            run_id=uuid.uuid4().hex,
            seconds=seconds,
            process_start=process_start(os.getpid()),
        )
        self.lost: str | None = None
        self._file: LeaseFile | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def __enter__(self) -> CheckpointLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self, spark=None) -> None:
        """Take the lease; a local checkpoint needs no Spark, others wait for ``spark``."""
        if self._file is not None:
            return
        file = lease_file(self.location, spark)
        if file is None:
            return
        for _ in range(5):
            if file.create(self.lease.to_text()) or self._take_over_if_free(file):
                self._file = file
                self._start_heartbeat()
                log.info("holding the checkpoint lease %s (%s)", file.name, self.lease.to_text())
                return
        raise ConfigError("--checkpoint", f"{self.location}: could not take the lease {file.name}")

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._file is not None and self.lost is None and self._still_mine():
            self._file.delete()
        self._file = None

    def _take_over_if_free(self, file: LeaseFile) -> bool:
        found = file.read()
        if found is None:
            return False
        text, renewed_at = found
        now = time.time()
        try:
            holder = Lease.from_text(text)
        except ValueError as e:
            if now - renewed_at > self.lease.seconds:
                return file.take_over(text, self.lease.to_text())
            raise ConfigError(
                "--checkpoint",
                f"{file.name} is not a lease this job wrote ({e}); if no job runs on "
                f"{self.location}, delete that file",
            ) from None
        if is_expired(holder, renewed_at, now) or self._gone_from_this_host(holder):
            log.info("taking over the checkpoint from %s", holder.describe(renewed_at, now))
            return file.take_over(text, self.lease.to_text())
        raise ConfigError(
            "--checkpoint",
            f"{self.location} is in use by {holder.describe(renewed_at, now)}. Stop that job "
            "first, or give this one another --checkpoint",
        )

    def _gone_from_this_host(self, holder: Lease) -> bool:
        return holder.host == self.lease.host and not is_running(holder.pid, holder.process_start)

    def _start_heartbeat(self) -> None:
        self._heartbeat = threading.Thread(
            target=self._renew_until_released, name="checkpoint-lease", daemon=True
        )
        self._heartbeat.start()

    def _renew_until_released(self) -> None:
        last_renewal = time.monotonic()
        while not self._stop.wait(renew_every(self.lease.seconds)):
            try:
                if not self._still_mine():
                    self._lose("the lease file is gone or another job's")
                    return
                self._file.renew()
                last_renewal = time.monotonic()
            except Exception as e:  # the filesystem may come back within the term
                log.warning("could not renew the checkpoint lease: %s", str(e).splitlines()[0])
                if time.monotonic() - last_renewal > self.lease.seconds:
                    self._lose(f"not renewed for {self.lease.seconds:g}s")
                    return

    def _still_mine(self) -> bool:
        found = self._file.read() if self._file is not None else None
        return found is not None and found[0] == self.lease.to_text()

    def _lose(self, why: str) -> None:
        self.lost = f"lost the checkpoint lease {self._file.name}: {why}"
        log.error("%s; stopping after the running batch", self.lost)
        self.on_lost(self.lost)


def lease_file(location: str, spark=None) -> LeaseFile | None:
    local = local_path(location)
    if local is not None:
        return LocalLeaseFile(local / LEASE_FILE)
    return HadoopLeaseFile(spark, location, LEASE_FILE) if spark is not None else None


def process_start(pid: int) -> str:
    """When the process started, in clock ticks after boot (Linux); "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def is_running(pid: int, started: str) -> bool:
    """The process ``pid`` exists and, when known, is the one that started at ``started``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = process_start(pid)
    return not started or not now or now == started
