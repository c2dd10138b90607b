"""Poison pills: records that kill the Python worker instead of raising.

A processor exception is caught per record (``jobs.pipeline.apply``). A record that makes the worker
process die (``os._exit``, a segfault in a C extension, the OOM killer) fails the whole task;
after Spark's task retries it fails the batch, and the stream would stop on it forever. So when
the processor step fails that way, the batch is split in halves, and halves again, each half
run on its own, until the records that still kill a worker alone are found. Those go to the
DLQ as ``WorkerCrash``; the rest of the batch is processed as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.core.columns import RECORD_KEY, STATUS_ERROR
from jobs.core.errors import InfrastructureError
from jobs.io.spark_errors import is_worker_death

__all__ = ["Key", "PoisonIsolation", "covering_exactly", "crash_rows", "find_poison"]

log = logging.getLogger(__name__)

Key = tuple[str, int, int]


def find_poison(keys: list[Key], kills_worker: Callable[[list[Key]], bool]) -> list[Key]:
    """The keys that fail alone, by bisection. Pure: ``kills_worker`` runs a subset."""
    found: list[Key] = []
    suspects = [sorted(keys)]
    while suspects:
        part = suspects.pop()
        if not part or not kills_worker(part):
            continue
        if len(part) == 1:
            found.append(part[0])
            continue
        middle = len(part) // 2
        suspects += [part[middle:], part[:middle]]
    return sorted(found)


def covering(keys: list[Key]) -> Column:
    """A condition true for the rows of ``keys``, as one offset range per partition (keys are
    a sorted slice, so each partition's keys are consecutive records)."""
    ranges: dict[tuple[str, int], list[int]] = {}
    for topic, partition, offset in keys:
        low_high = ranges.setdefault((topic, partition), [offset, offset])
        low_high[0], low_high[1] = min(low_high[0], offset), max(low_high[1], offset)
    condition = F.lit(False)
    for (topic, partition), (low, high) in ranges.items():
        condition = condition | (
            (F.col("topic") == topic)
            & (F.col("partition") == partition)
            & F.col("offset").between(low, high)
        )
    return condition


class PoisonIsolation:
    """Runs the processor over a batch, isolating records that kill the Python worker."""

    def __init__(self, process: Callable[[DataFrame], DataFrame], max_share: float = 0.1) -> None:
        self.process = process
        self.max_share = max_share

    def suspects(self, rows: DataFrame, batch_id: int) -> list[Key]:
        keys = [tuple(r) for r in rows.select(*RECORD_KEY).collect()]
        log.warning(
            "batch %d: a Python worker died running the processor; isolating the records "
            "that kill it among %d",
            batch_id,
            len(keys),
        )
        poison = find_poison(keys, lambda part: self._kills(rows.where(covering(part))))
        if not poison:
            raise InfrastructureError(
                f"batch {batch_id}: the Python worker died, but no record kills it alone; "
                "look at the executor logs (memory, native crashes)"
            )
        if len(poison) > max(3, self.max_share * len(keys)):
            raise InfrastructureError(
                f"batch {batch_id}: {len(poison)} of {len(keys)} records kill the Python "
                "worker; the processor itself is broken, not the records"
            )
        log.warning("batch %d: %d records kill the worker: %s", batch_id, len(poison), poison[:10])
        return poison

    def _kills(self, rows: DataFrame) -> bool:
        try:
            self.process(rows).select(F.count(F.lit(1))).collect()
        except Exception as e:
            if is_worker_death(e):
                return True
            raise
        return False


def crash_rows(rows: DataFrame, poison: list[Key], schema: T.StructType) -> DataFrame:
    """DLQ-bound processed rows for the poison records, in the processed batch's schema."""
    message = "the record made the Python worker die (it ran alone and the worker crashed)"
    facts = {
        "status": F.lit(STATUS_ERROR),
        "output_index": F.lit(0),
        "error_type": F.lit("WorkerCrash"),
        "error_message": F.lit(message),
        "error_stack": F.lit(None),
        "failed_at": F.lit(datetime.now(UTC)),
        "output": F.lit(None),
    }
    selected = rows.where(covering_exactly(poison))
    return selected.select(
        *[
            (facts[f.name] if f.name in facts else F.col(f.name)).cast(f.dataType).alias(f.name)
            for f in schema
        ]
    )


def covering_exactly(keys: list[Key]) -> Column:
    condition = F.lit(False)
    for topic, partition, offset in keys:
        condition = condition | (
            (F.col("topic") == topic)
            & (F.col("partition") == partition)
            & (F.col("offset") == offset)
        )
    return condition
