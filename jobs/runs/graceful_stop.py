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

One more check stands in the way: after planning a batch, ``runBatch`` interrupts its own
thread when the query is no longer active (meant for ``stop()`` during planning), and the
batch's first Spark job inside ``foreachBatch`` then fails with ``InterruptedException``. A
trigger that had passed its start check when the stop began is the batch in flight, and its
offsets are logged already, so ``batch_starting()`` (first thing in ``foreachBatch``, on the
stream thread) clears that interrupt and the batch runs to its commit.

The state and the thread are not public API: ``tests/integration/test_graceful_stop.py``
checks that this Spark still has them. Without them the stop falls back to ``stop()`` once no
trigger is active, with a warning.
"""

from __future__ import annotations

import logging

from py4j.protocol import Py4JError
from pyspark import SparkContext
from pyspark.sql.streaming import StreamingQuery

__all__ = ["GracefulStop"]

log = logging.getLogger(__name__)

_TERMINATED = "org.apache.spark.sql.execution.streaming.runtime.TERMINATED$"
_SLEEP = ("org.apache.spark.util.SystemClock", "waitTillTime")


class GracefulStop:
    """``batch_starting()`` first in every ``foreachBatch``; ``begin(query)`` once on a stop
    request, then ``wait()`` until it returns True."""

    def __init__(self) -> None:
        self._query: StreamingQuery | None = None
        self._thread = None
        self.begun = False

    def begin(self, query: StreamingQuery) -> None:
        """From now on no trigger starts; the one in flight runs to its commit."""
        self._query, self.begun = query, True
        try:
            execution = query._jsq.streamingQuery()
            jvm = SparkContext._jvm
            terminated = jvm.java.lang.Class.forName(_TERMINATED).getField("MODULE$").get(None)
            thread = execution.queryExecutionThread()
            execution.state().set(terminated)
            self._thread = thread
        except Py4JError as e:
            log.warning(
                "this Spark has no query state to set (%s): stopping once no trigger runs, "
                "which may leave the last batch uncommitted",
                str(e).splitlines()[0],
            )

    def batch_starting(self) -> None:
        """On the stream thread (PySpark runs a callback's JVM calls there): once the stop
        began, clear the interrupt Spark sets on a batch planned while it began."""
        if self.begun:
            SparkContext._jvm.java.lang.Thread.interrupted()

    def wait(self, seconds: float) -> bool:
        """Up to ``seconds``; True once the stream thread has ended."""
        if self._thread is None:
            return self._wait_between_triggers(seconds)
        self._thread.join(max(1, int(seconds * 1000)))
        if self._thread.isAlive() and self._asleep_between_triggers():
            self._query.stop()
        return not self._thread.isAlive()

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
