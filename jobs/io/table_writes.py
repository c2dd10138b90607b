"""How a batch's rows reach the Delta tables: two kinds of idempotence.

The streaming job has a batch id that Spark replays unchanged after a crash, so each table
append is tagged with the query's app id and the batch id, and a table whose log already holds
that batch skips it (``OnceWrites``, over ``jobs.io.delta_commits.OnceAppends``: the log tail is
read once per table and query run, never the table's whole state). A replay has no such id: the
same range may be replayed by a later run, in other chunks, with another processor. Its writes
are keyed by source coordinates instead (``KeyedWrites``): a ``MERGE`` inserts only the rows the
table lacks, failures update the DLQ row they already have, and records that now succeed mark
their DLQ row resolved. The stream falls back to the same keyed inserts for a batch its
tables' logs were cleaned past.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from delta.tables import DeltaTable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.core.columns import LEDGER_KEY, OUTPUT_KEY, PARTITION_COLUMNS, RECORD_KEY
from jobs.io.commit_lock import commit_lock
from jobs.io.delta_commits import OnceAppends
from jobs.io.spark_errors import is_concurrent_commit

__all__ = ["KeyedWrites", "OnceWrites", "T"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class OnceWrites:
    """The stream's writes of ``batch_id``: each table gets the batch once.

    ``appends`` is the query run's (one per start of the query, so that it reads each table's
    log once). Where a log was cleaned past the batch, the rows go in by their key instead.
    """

    appends: OnceAppends
    batch_id: int

    @property
    def run_id(self) -> str:
        return self.appends.app_id

    def backup(self, rows: DataFrame, path: str) -> None:
        self._append(rows, path, RECORD_KEY)

    def output(self, rows: DataFrame, path: str) -> None:
        self._append(rows, path, OUTPUT_KEY)

    def dlq(self, rows: DataFrame, path: str) -> None:
        self._append(rows, path, RECORD_KEY)

    def resolve(self, done: DataFrame, path: str) -> None:
        """The stream reads each record once: it never finds an earlier failure to resolve."""

    def ledger(self, rows: DataFrame, path: str) -> None:
        self._append(rows, path, LEDGER_KEY, partition_by=())

    def _append(
        self,
        rows: DataFrame,
        path: str,
        key: tuple[str, ...],
        partition_by: tuple[str, ...] = PARTITION_COLUMNS,
    ) -> None:
        def by_key(rows: DataFrame, path: str) -> None:
            insert_missing(rows, path, key)

        self.appends.append(rows, path, self.batch_id, partition_by, fallback=by_key)


@dataclass(frozen=True)
class KeyedWrites:
    """Writes keyed by (topic, partition, offset): a second identical run adds nothing.

    ``retry_failures`` says what a record that fails again does to its unresolved DLQ row:
    DLQ replays count the attempt and keep the new error; recovering an interrupted
    stream batch (``--resume-from-ledger``) leaves the row as the stream wrote it.
    """

    run_id: str
    retry_failures: bool = True

    def backup(self, rows: DataFrame, path: str) -> None:
        insert_missing(rows, path, RECORD_KEY)

    def output(self, rows: DataFrame, path: str) -> None:
        insert_missing(rows, path, OUTPUT_KEY)

    def dlq(self, rows: DataFrame, path: str) -> None:
        if not DeltaTable.isDeltaTable(rows.sparkSession, path):
            insert_missing(rows, path, RECORD_KEY)
            return
        merge = _merge(DeltaTable.forPath(rows.sparkSession, path), rows, RECORD_KEY)
        if self.retry_failures:
            merge = merge.whenMatchedUpdate(
                condition="t.resolved_at IS NULL",
                set={
                    **{c: f"s.{c}" for c in _ERROR_COLUMNS},
                    "attempts": "t.attempts + 1",
                },
            )
        with_retries(path, lambda: merge.whenNotMatchedInsertAll().execute())

    def resolve(self, done: DataFrame, path: str) -> None:
        """Mark resolved the unresolved DLQ rows of records that now succeed or are filtered."""
        if not DeltaTable.isDeltaTable(done.sparkSession, path):
            return
        merge = _merge(DeltaTable.forPath(done.sparkSession, path), done, RECORD_KEY)
        merge = merge.whenMatchedUpdate(
            condition="t.resolved_at IS NULL",
            set={"resolved_at": "current_timestamp()", "resolved_by": F.lit(self.run_id)},
        )
        with_retries(path, merge.execute)

    def ledger(self, rows: DataFrame, path: str) -> None:
        with commit_lock(path):
            rows.write.format("delta").mode("append").save(path)


_ERROR_COLUMNS = ("error_type", "error_message", "error_stack", "processor", "failed_at")


def insert_missing(rows: DataFrame, path: str, key: tuple[str, ...]) -> None:
    """Append the rows whose ``key`` the table does not hold yet (creating the table)."""
    unique = rows.dropDuplicates(list(key))
    if not DeltaTable.isDeltaTable(rows.sparkSession, path):
        with commit_lock(path):
            unique.write.format("delta").mode("append").partitionBy("date", "hour").save(path)
        return
    merge = _merge(DeltaTable.forPath(rows.sparkSession, path), unique, key)
    with_retries(path, lambda: merge.whenNotMatchedInsertAll().execute())


def _merge(target: DeltaTable, source: DataFrame, key: tuple[str, ...]):
    """A MERGE on ``key`` that only reads the target's hour partitions the source touches."""
    hours = source.select("date", "hour").distinct().collect()
    dates = ", ".join(sorted({f"'{h['date']}'" for h in hours})) or "NULL"
    hour_list = ", ".join(sorted({f"'{h['hour']}'" for h in hours})) or "NULL"
    condition = " AND ".join(
        [
            *(f"t.`{k}` = s.`{k}`" for k in key),
            f"t.date IN ({dates})",
            f"t.hour IN ({hour_list})",
        ]
    )
    return target.alias("t").merge(source.alias("s"), condition)


def with_retries(path: str, write: Callable[[], T], attempts: int = 4) -> T:
    """Write to the table at ``path`` (holding its ``commit_lock``), again when a concurrent
    writer (the stream) committed to the same files."""
    for attempt in range(1, attempts + 1):
        try:
            with commit_lock(path):
                return write()
        except Exception as e:
            if not is_concurrent_commit(e) or attempt == attempts:
                raise
            log.warning("concurrent commit to the table; retrying the merge (%d)", attempt)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
