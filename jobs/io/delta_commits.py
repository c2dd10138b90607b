"""Appends that land once per table and micro-batch, checked on the log tail, not on table state.

Delta's own idempotent append (``txnAppId``/``txnVersion``) asks the snapshot for its
``setTransactions``, which rebuilds the table's whole state: three Spark jobs more per append,
whatever the table's size. Here each append instead tags its commit with ``userMetadata``
(the app id and batch id, see ``CommitTag``), and whether a batch is already in a table is read
from the newest commits of the log, newest first, stopping at the first commit of the same app:
its batch id answers the question, because one app (one streaming query, one job per
checkpoint) commits its batches to a table in order. Other commits in between (a replay's
MERGE, OPTIMIZE, DELETE, VACUUM) carry no tag of this app and are stepped over. The log is read
through ``DeltaTable.history`` (Delta's own log reader, any file system Delta supports).

The check is needed only for the first batch a query run writes to a table: after that the
run itself knows what it committed (``OnceAppends`` remembers it), so a steady-state append is
a plain tagged append of one Spark job.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.core.errors import InfrastructureError
from jobs.io.commit_lock import commit_lock

__all__ = [
    "CLOCK_MARGIN_MS",
    "CommitTag",
    "LogAnswer",
    "OnceAppends",
    "append_once",
    "append_tagged",
    "find_batch",
]

log = logging.getLogger(__name__)
TAG_KEY = "kafka-stream"
PAGES = (16, 256, 4096, 65536, None)
# How far a table's commit timestamps (the storage's clock, or Delta's in-commit timestamps)
# may lag the driver's clock that planned a batch: commits older than the plan minus this
# margin need not be read.
CLOCK_MARGIN_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class CommitTag:
    """What a tagged commit says in ``userMetadata``: which app committed which batch."""

    app_id: str
    batch_id: int

    def text(self) -> str:
        return json.dumps({TAG_KEY: {"app_id": self.app_id, "batch_id": self.batch_id}})

    @classmethod
    def parse(cls, text: str | None) -> CommitTag | None:
        """The tag in a commit's ``userMetadata``; None for anything else (or nothing)."""
        if not text or TAG_KEY not in text:
            return None
        try:
            found = json.loads(text)[TAG_KEY]
            return cls(str(found["app_id"]), int(found["batch_id"]))
        except (ValueError, TypeError, KeyError):
            return None


class LogAnswer(Enum):
    """Whether a table's log holds a batch of an app."""

    COMMITTED = "committed"
    ABSENT = "absent"
    UNKNOWN = "unknown"  # the log was cleaned past where the answer would be


@dataclass(frozen=True)
class Scan:
    """What the newest commits say: the app's newest batch id, and whether the scan saw enough
    of the log to vouch that no commit of the app is missing from it."""

    last_batch: int | None
    complete: bool

    def answer(self, batch_id: int) -> LogAnswer:
        if self.last_batch is not None:
            return LogAnswer.COMMITTED if batch_id <= self.last_batch else LogAnswer.ABSENT
        return LogAnswer.ABSENT if self.complete else LogAnswer.UNKNOWN


def scan_log(
    spark: SparkSession, path: str, app_id: str, *, not_before_ms: int | None = None
) -> Scan:
    """Read commits newest first, a page at a time, until one of ``app_id``'s is found.

    ``not_before_ms`` (optional) is an instant before which the app cannot have committed what
    is asked, e.g. when the batch was planned: older commits need not be read, and a log
    cleaned beyond that instant is no obstacle.
    """
    if not DeltaTable.isDeltaTable(spark, path):
        return Scan(None, complete=True)
    table = DeltaTable.forPath(spark, path)
    for limit in PAGES:
        history = table.history(limit) if limit else table.history()
        commits = history.select(
            "version", F.unix_millis("timestamp").alias("ms"), "userMetadata"
        ).collect()
        for commit in commits:
            tag = CommitTag.parse(commit["userMetadata"])
            if tag is not None and tag.app_id == app_id:
                return Scan(tag.batch_id, complete=True)
            if not_before_ms is not None and commit["ms"] < not_before_ms:
                return Scan(None, complete=True)
        if limit is None or len(commits) < limit:
            return Scan(None, complete=not commits or commits[-1]["version"] == 0)
    raise AssertionError("unreachable: the last page reads the whole log")


def find_batch(
    spark: SparkSession,
    path: str,
    app_id: str,
    batch_id: int,
    *,
    not_before_ms: int | None = None,
) -> LogAnswer:
    """Whether ``batch_id`` of ``app_id`` is committed to the table at ``path``."""
    return scan_log(spark, path, app_id, not_before_ms=not_before_ms).answer(batch_id)


def append_tagged(rows: DataFrame, path: str, tag: CommitTag, partition_by: Sequence[str]) -> None:
    """A plain Delta append whose commit carries ``tag``: one Spark job, no state rebuild."""
    writer = rows.write.format("delta").mode("append").option("userMetadata", tag.text())
    with commit_lock(path):
        writer.partitionBy(*partition_by).save(path)


def append_once(
    rows: DataFrame,
    path: str,
    *,
    app_id: str,
    batch_id: int,
    partition_by: Sequence[str],
    not_before_ms: int | None = None,
) -> bool:
    """Append unless the table already has ``batch_id`` of ``app_id``; True when written.

    Reads the log tail on every call; ``OnceAppends`` reads it once per table and run.
    """
    return OnceAppends(app_id, not_before_ms=not_before_ms).append(
        rows, path, batch_id, partition_by
    )


Fallback = Callable[[DataFrame, str], None]


class OnceAppends:
    """The appends of one streaming query run (one app id): each batch once per table.

    The first append of the run to a table reads the table's log tail; after that the run
    knows the newest batch it committed there, since no other process writes with its app id
    (one job per checkpoint). A failed append forgets what was known of its table, so the next
    attempt reads the log again: an append may fail after its commit landed.

    ``fallback(rows, path)`` writes a batch the log cannot answer for (``LogAnswer.UNKNOWN``:
    the log was cleaned past the batch), e.g. an insert of the rows whose record key the table
    lacks; without one, that case stops the batch with an ``InfrastructureError``.
    """

    def __init__(
        self,
        app_id: str,
        *,
        not_before_ms: int | None = None,
        fallback: Fallback | None = None,
    ) -> None:
        self.app_id = app_id
        self.not_before_ms = not_before_ms
        self.fallback = fallback
        self._last_batch: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def append(
        self,
        rows: DataFrame,
        path: str,
        batch_id: int,
        partition_by: Sequence[str],
        *,
        fallback: Fallback | None = None,
    ) -> bool:
        """Append ``rows`` as ``batch_id`` unless the table has it; True when written.

        ``fallback`` (this table's) replaces the run's own for a batch the log cannot answer for.
        """
        answer = self.answer(rows.sparkSession, path, batch_id)
        if answer is LogAnswer.COMMITTED:
            log.info("batch %d of %s is already in %s: append skipped", batch_id, self.app_id, path)
            return False
        try:
            if answer is LogAnswer.UNKNOWN:
                self.write_unknown(rows, path, batch_id, fallback or self.fallback)
            else:
                append_tagged(rows, path, CommitTag(self.app_id, batch_id), partition_by)
        except BaseException:
            self.forget(path)
            raise
        with self._lock:
            self._last_batch[path] = batch_id
        return True

    def answer(self, spark: SparkSession, path: str, batch_id: int) -> LogAnswer:
        with self._lock:
            known = path in self._last_batch
            last = self._last_batch.get(path)
        if known:
            return Scan(last, complete=True).answer(batch_id)
        scan = scan_log(spark, path, self.app_id, not_before_ms=self.not_before_ms)
        if scan.complete:
            with self._lock:
                self._last_batch.setdefault(path, scan.last_batch)
        return scan.answer(batch_id)

    def write_unknown(
        self, rows: DataFrame, path: str, batch_id: int, fallback: Fallback | None
    ) -> None:
        if fallback is None:
            raise InfrastructureError(
                f"cannot tell whether batch {batch_id} of {self.app_id} is in {path}: the "
                "table's log was cleaned past it (delta.logRetentionDuration); restart with "
                "--resume-from-ledger, which writes by record key"
            )
        log.warning(
            "the log of %s no longer tells whether batch %d of %s is there: writing it by "
            "record key instead",
            path,
            batch_id,
            self.app_id,
        )
        fallback(rows, path)

    def forget(self, path: str) -> None:
        with self._lock:
            self._last_batch.pop(path, None)
