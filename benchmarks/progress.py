"""Spark's own per-trigger accounting of every streaming query, collected by a listener."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQueryListener


@dataclass
class QueryProgress:
    """The progress events of one query: one per trigger that ran a batch."""

    started: threading.Event = field(default_factory=threading.Event)
    terminated: threading.Event = field(default_factory=threading.Event)
    batches: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(b["rows"] for b in self.batches)

    def wall_seconds(self) -> float:
        """From the start of the first trigger to the end of the last one, as Spark timed them."""
        if not self.batches:
            return 0.0
        first, last = self.batches[0], self.batches[-1]
        end = _epoch(last["timestamp"]) + last["duration_ms"]["triggerExecution"] / 1000
        return end - _epoch(first["timestamp"])


class ProgressRecorder(StreamingQueryListener):
    """Keeps the progress of the most recent query; ``reset`` before starting the next one."""

    def __init__(self) -> None:
        self.current = QueryProgress()

    def attach(self, spark: SparkSession) -> ProgressRecorder:
        spark.streams.addListener(self)
        return self

    def reset(self) -> QueryProgress:
        self.current = QueryProgress()
        return self.current

    def onQueryStarted(self, event) -> None:
        self.current.started.set()

    def onQueryProgress(self, event) -> None:
        p = event.progress
        if p.numInputRows or p.durationMs.get("addBatch"):
            self.current.batches.append(
                {
                    "batch_id": p.batchId,
                    "timestamp": p.timestamp,
                    "rows": p.numInputRows,
                    "duration_ms": dict(p.durationMs),
                }
            )

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        self.current.terminated.set()


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
