"""A class-data-sharing archive of the broker's classes, so that each broker JVM starts sooner.

A broker JVM spends most of its start loading and verifying the same few thousand classes. The
first broker started with no archive writes one when it stops cleanly
(``-XX:ArchiveClassesAtExit``); every broker after maps it (``-XX:SharedArchiveFile``), and so
does Kafka's storage tool before each start. Side by side on the 2-core development machine
(``KAFKA_UTILS_CLASS_ARCHIVE`` off, then on, four rounds), one broker was ready in 2.8-3.5 s
without it and 1.8-2.0 s with it (3.4-4.1 and 2.3-2.5 CPU-seconds, storage format included),
a controller and three brokers in 8.9-9.6 s and 4.8-5.5 s.

The archive lives beside the broker jars it was made from (``jar_cache.cache_dir()/cds``),
one file per JDK and classpath; it is published by a rename, so two runs writing at once leave
one whole file. A JVM given an archive that does not fit (another JDK build, other jars) ignores
it and starts as it would have. ``KAFKA_UTILS_CLASS_ARCHIVE=off`` turns it all off, and a cache
folder that cannot be written to simply goes without.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path

from kafka_utils.jvm import java_executable

__all__ = ["CLASS_ARCHIVE_ENV", "QUIET_OPTIONS", "ClassArchive", "jdk_identity"]

CLASS_ARCHIVE_ENV = "KAFKA_UTILS_CLASS_ARCHIVE"
QUIET_OPTIONS = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")
_STALE_SECONDS = 24 * 3600


def jdk_identity() -> str:
    """The JDK an archive belongs to: the real path of its ``java`` and that file's mtime."""
    java = os.path.realpath(java_executable())
    return f"{java}\n{os.stat(java).st_mtime_ns}"


class ClassArchive:
    """The archive of one classpath under one JDK, in ``folder``."""

    def __init__(self, folder: Path, classpath: str) -> None:
        key = f"{jdk_identity()}\n{classpath}"
        self.path = folder / f"broker-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"
        self.enabled = os.environ.get(CLASS_ARCHIVE_ENV, "").strip().lower() != "off"
        self._dumping: Path | None = None

    def use_options(self) -> list[str]:
        """The options that map the archive, or none while there is no archive yet."""
        return [f"-XX:SharedArchiveFile={self.path}", *QUIET_OPTIONS] if self._ready() else []

    def options(self) -> tuple[list[str], Path | None]:
        """Options for a JVM that maps the archive, or, while there is none, writes one at its
        exit into the returned file (give it to :meth:`publish` once that JVM has ended). One
        JVM at a time writes: the nodes of a cluster load the same classes."""
        if not self.enabled or self._ready() or self._dumping:
            return self.use_options(), None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return [], None
        self._dumping = self.path.with_name(f".{self.path.stem}-{uuid.uuid4().hex}.jsa")
        return [f"-XX:ArchiveClassesAtExit={self._dumping}", *QUIET_OPTIONS], self._dumping

    def publish(self, dump: Path, exited_cleanly: bool) -> None:
        """Rename a JVM's complete dump into place; drop one cut short by a kill."""
        self._dumping = None
        try:
            if exited_cleanly and dump.is_file() and dump.stat().st_size > 0:
                dump.replace(self.path)
            else:
                dump.unlink(missing_ok=True)
        except OSError:
            dump.unlink(missing_ok=True)
        self._drop_stale_dumps()

    def _drop_stale_dumps(self) -> None:
        """Dumps of JVMs killed with their test run (parent-death signal) are never published."""
        for stale in self.path.parent.glob(".broker-*.jsa"):
            try:
                if time.time() - stale.stat().st_mtime > _STALE_SECONDS:
                    stale.unlink()
            except OSError:
                continue

    def _ready(self) -> bool:
        return self.enabled and self.path.is_file()
