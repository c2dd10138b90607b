"""How a batch's rows reach the Delta tables: two kinds of idempotence.

The streaming job has a batch id that Spark replays unchanged after a crash, so each table
append carries ``txnAppId``/``txnVersion`` and Delta skips a version it has already
committed (``TxnWrites``). A replay has no such id: the same range may be replayed by a later
run, in other chunks, with another processor. Its writes are keyed by source coordinates
instead (``KeyedWrites``): a ``MERGE`` inserts only the rows the table lacks, failures update
the DLQ row they already have, and records that now succeed mark their DLQ row resolved.
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

from jobs.core.columns import OUTPUT_KEY, RECORD_KEY
from jobs.io.sinks import append_delta
from jobs.io.spark_errors import is_concurrent_commit

__all__ = ["KeyedWrites", "T", "TxnWrites"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class TxnWrites:
    """Appends that Delta skips when ``app_id`` already committed ``version``."""

    app_id: str
    version: int

    @property
    def run_id(self) -> str:
        return self.app_id

    def backup(self, rows: DataFrame, path: str) -> None:
        append_delta(rows, path, app_id=self.app_id, version=self.version)

    def output(self, rows: DataFrame, path: str) -> None:
        append_delta(rows, path, app_id=self.app_id, version=self.version)

    def dlq(self, rows: DataFrame, path: str) -> None:
        append_delta(rows, path, app_id=self.app_id, version=self.version)

    def resolve(self, done: DataFrame, path: str) -> None:
        """The stream reads each record once: it never finds an earlier failure to resolve."""

    def ledger(self, rows: DataFrame, path: str) -> None:
        append_delta(rows, path, app_id=self.app_id, version=self.version, partition_by=())


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
        with_retries(lambda: merge.whenNotMatchedInsertAll().execute())

    def resolve(self, done: DataFrame, path: str) -> None:
        """Mark resolved the unresolved DLQ rows of records that now succeed or are filtered."""
        if not DeltaTable.isDeltaTable(done.sparkSession, path):
            return
        merge = _merge(DeltaTable.forPath(done.sparkSession, path), done, RECORD_KEY)
        merge = merge.whenMatchedUpdate(
            condition="t.resolved_at IS NULL",
            set={"resolved_at": "current_timestamp()", "resolved_by": F.lit(self.run_id)},
        )
        with_retries(merge.execute)

    def ledger(self, rows: DataFrame, path: str) -> None:
        rows.write.format("delta").mode("append").save(path)


_ERROR_COLUMNS = ("error_type", "error_message", "error_stack", "processor", "failed_at")


def insert_missing(rows: DataFrame, path: str, key: tuple[str, ...]) -> None:
    """Append the rows whose ``key`` the table does not hold yet (creating the table)."""
    unique = rows.dropDuplicates(list(key))
    if not DeltaTable.isDeltaTable(rows.sparkSession, path):
        unique.write.format("delta").mode("append").partitionBy("date", "hour").save(path)
        return
    merge = _merge(DeltaTable.forPath(rows.sparkSession, path), unique, key)
    with_retries(lambda: merge.whenNotMatchedInsertAll().execute())


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


def with_retries(write: Callable[[], T], attempts: int = 4) -> T:
    """Run a MERGE again when a concurrent writer (the stream) committed to the same files."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except Exception as e:
            if not is_concurrent_commit(e) or attempt == attempts:
                raise
            log.warning("concurrent commit to the table; retrying the merge (%d)", attempt)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
