"""Stop a streaming query after the trigger in flight, its checkpoint commit included.

How Spark 4.2 runs a micro-batch trigger (``MicroBatchExecution.executeOneBatch``, on the
query's stream thread): check ``isActive`` (the query state is not TERMINATED), construct the
batch (ask the sources for offsets, write ``offsets/N``), run it (``foreachBatch``), write
``commits/N`` (``markMicroBatchEnd``), report progress (``lastProgress``), and then the
``ProcessingTimeExecutor`` sleeps until the next trigger (``SystemClock.waitTillTime``).

``StreamingQuery.stop()`` sets the state to TERMINATED and interrupts that thread wherever it
is. Between the end of ``foreachBatch`` and the end of the ``commits/N`` write the interrupt
leaves the batch uncommitted, and the next start runs it again. So a graceful stop only sets
the state to TERMINATED, the flag each trigger checks before it constructs a batch: the trigger
in flight runs to its commit and progress report, and the thread then leaves its loop by
itself, as an ``available-now`` query does when it runs out of data (no error, no stack).
Only a thread asleep between triggers is interrupted, through ``stop()``: the state is already
TERMINATED, so once awake it starts no trigger, and a long trigger interval does not delay
the stop.

When the stop begins matters. After planning a batch, ``runBatch`` interrupts its own thread
if the query is no longer active (meant for ``stop()`` during planning), and a batch planned
while the stop began has its offsets logged already. So the state is set only where no batch
is being planned: inside ``foreachBatch`` (``batch_starting()``, on the stream thread: the
batch in flight runs to its commit), or, between batches, once the query reports it waits for
the next trigger or for data. A stop that finds neither within ``APPLY_WITHIN`` seconds (a
trigger stuck asking a lost broker for offsets) sets it anyway, and ``batch_starting()``
clears the interrupt a batch planned meanwhile gets.

The state and the thread are not public API: ``tests/integration/test_graceful_stop.py``
checks that this Spark still has them. Without them the stop falls back to ``stop()`` once no
trigger is active, with a warning.
"""

from __future__ import annotations

import logging
import threading
import time

from py4j.protocol import Py4JError
from pyspark import SparkContext
from pyspark.sql.streaming import StreamingQuery

__all__ = ["GracefulStop"]

log = logging.getLogger(__name__)

_TERMINATED = "org.apache.spark.sql.execution.streaming.runtime.TERMINATED$"
_SLEEP = ("org.apache.spark.util.SystemClock", "waitTillTime")
_BETWEEN_BATCHES = ("Waiting for next trigger", "Waiting for data to arrive")
APPLY_WITHIN = 30.0


class GracefulStop:
    """``batch_starting()`` first and ``batch_ended()`` last in every ``foreachBatch``;
    ``begin(query)`` once on a stop request, then ``wait()`` until it returns True."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._query: StreamingQuery | None = None
        self._execution = None
        self._thread = None
        self._in_batch = False
        self._applied = False
        self._begun_at = 0.0
        self.begun = False

    def begin(self, query: StreamingQuery) -> None:
        """From now on no trigger starts; the one in flight runs to its commit."""
        with self._lock:
            self._query, self.begun, self._begun_at = query, True, time.monotonic()
            try:
                self._execution = query._jsq.streamingQuery()
                self._thread = self._execution.queryExecutionThread()
            except Py4JError as e:
                log.warning(
                    "this Spark has no query state to set (%s): stopping once no trigger runs, "
                    "which may leave the last batch uncommitted",
                    str(e).splitlines()[0],
                )
                return
            if self._in_batch:
                self._apply()

    def batch_starting(self) -> None:
        """On the stream thread (PySpark runs a callback's JVM calls there): a stop that
        began takes effect here, after planning; and the interrupt Spark sets on a batch planned
        while the state was already set is cleared, so the batch runs to its commit."""
        with self._lock:
            self._in_batch = True
            if self.begun and self._thread is not None:
                self._apply()
                SparkContext._jvm.java.lang.Thread.interrupted()

    def batch_ended(self) -> None:
        with self._lock:
            self._in_batch = False

    def wait(self, seconds: float) -> bool:
        """Up to ``seconds``; True once the stream thread has ended."""
        if self._thread is None:
            return self._wait_between_triggers(seconds)
        self._thread.join(max(1, int(seconds * 1000)))
        if self._thread.isAlive():
            with self._lock:
                asleep = self._apply_between_batches()
            if asleep:
                self._query.stop()
        return not self._thread.isAlive()

    def _apply(self) -> None:
        if not self._applied:
            jvm = SparkContext._jvm
            terminated = jvm.java.lang.Class.forName(_TERMINATED).getField("MODULE$").get(None)
            self._execution.state().set(terminated)
            self._applied = True

    def _apply_between_batches(self) -> bool:
        """Sets the state when no batch is being planned; True if the thread sleeps until
        its next trigger, to be woken (outside the lock: ``stop()`` joins the thread)."""
        if self._in_batch:
            return False
        asleep = self._asleep_between_triggers()
        overdue = time.monotonic() - self._begun_at > APPLY_WITHIN
        if asleep or overdue or self._query.status["message"] in _BETWEEN_BATCHES:
            self._apply()
        return asleep and self._asleep_between_triggers()

    def _asleep_between_triggers(self) -> bool:
        frames = self._thread.getStackTrace()
        return any((f.getClassName(), f.getMethodName()) == _SLEEP for f in list(frames)[:4])

    def _wait_between_triggers(self, seconds: float) -> bool:
        assert self._query is not None
        if not self._query.isActive:
            return True
        if not self._query.status["isTriggerActive"]:
            self._query.stop()
            return True
        return bool(self._query.awaitTermination(seconds))
