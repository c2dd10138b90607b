"""SIGTERM/SIGINT that reach Spark's JVM ask the job for a graceful stop too.

Under ``spark-submit`` the JVM is the parent process: the scheduler's SIGTERM (Kubernetes
deleting the driver pod, YARN killing the application, systemd stopping the unit) reaches it,
not the job's Python process, and the JVM's default answer runs its shutdown hooks, which stop
Spark under the running batch. Under ``python -m jobs.stream`` the JVM is a child that a signal
to the whole process group reaches as well. So once Spark is up, the JVM's handlers for these
signals are replaced by one that calls back into Python (py4j) and asks for the same stop as
the job's own handlers. The JVM then ends when the job does, as it does after a finished run.
A signal the JVM ignores (PySpark starts its JVM with SIGINT ignored) stays ignored.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from py4j.protocol import Py4JError
from pyspark.sql import SparkSession

from jobs.core.stop_request import StopRequest

__all__ = ["forward_jvm_signals"]

log = logging.getLogger(__name__)


class _StopOnSignal:
    """A ``sun.misc.SignalHandler`` implemented in Python."""

    def __init__(self, stop: StopRequest) -> None:
        self._stop = stop

    def handle(self, signal) -> None:
        name = f"SIG{signal.getName()}"
        if not self._stop.ask(name, by_signal=True):
            log.info("%s again: already stopping after the running batch", name)

    class Java:
        implements: ClassVar[list[str]] = ["sun.misc.SignalHandler"]


def forward_jvm_signals(spark: SparkSession, stop: StopRequest) -> None:
    jvm = spark.sparkContext._jvm
    handler = _StopOnSignal(stop)
    for name in ("TERM", "INT"):
        try:
            jvm.sun.misc.Signal.handle(jvm.sun.misc.Signal(name), handler)
        except Py4JError as e:  # ignored by the JVM, or reserved by it (-Xrs)
            log.debug("SIG%s stays with the JVM: %s", name, str(e).splitlines()[0])
