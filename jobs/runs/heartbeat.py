"""While no batch runs, one log line every ``--heartbeat``: the last batch and the lag."""

from __future__ import annotations

import logging
import threading
import time

from pyspark.sql.streaming import StreamingQuery

from jobs.core.batch_stats import BatchStats
from jobs.core.lag import heartbeat_line, lag_per_partition, processed_offsets
from jobs.io.kafka_offsets import broker_offsets

__all__ = ["IdleHeartbeat"]

log = logging.getLogger(__name__)


class IdleHeartbeat:
    """A daemon thread; ``batch_done`` after each batch, ``stop`` at the end.

    A tick is idle when no batch ended since the previous tick and Spark is not processing
    data; the broker is asked for end offsets then, never while batches run.
    """

    def __init__(
        self,
        query: StreamingQuery,
        every: float,
        broker: tuple[str, dict[str, str], float],
    ) -> None:
        self._query = query
        self._every = every
        self._broker = broker
        self._last: tuple[int, float] | None = None
        self._busy = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idle-heartbeat", daemon=True)

    def start(self) -> IdleHeartbeat:
        if self._every > 0:
            self._thread.start()
        return self

    def batch_done(self, stats: BatchStats) -> None:
        self._last = (stats.batch_id, time.time())
        self._busy = True

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            busy, self._busy = self._busy, False
            if busy or self._query.status["message"] == "Processing new data":
                continue
            try:
                log.info("%s", self.line())
            except Exception as e:  # a heartbeat never stops the job
                log.warning("idle heartbeat: %s", str(e).splitlines()[0])

    def line(self) -> str:
        batch, at = self._last or (None, None)
        return heartbeat_line(batch, at, time.time(), self.lag())

    def lag(self) -> dict | None:
        progress = self._query.lastProgress
        if progress is None:
            return None
        processed = processed_offsets([s.endOffset for s in progress.sources])
        servers, options, timeout = self._broker
        with broker_offsets(servers, options, timeout) as broker:
            ends = broker.latest(sorted(processed))
        return lag_per_partition(ends, processed)
