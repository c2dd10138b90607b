"""The steps of a micro-batch that may overlap, and the truthful account of their time.

Backup needs nothing from the processor, output and DLQ need only the processed rows, the
ledger only the counts: so the backup runs beside the processor, and output beside DLQ, each
its own Spark job from its own driver thread (Spark runs them side by side on free cores).
Each step's seconds are its own, start to end, so overlapping steps add up to more than the
batch; ``waiting`` is the time the batch's own thread spent waiting for the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

__all__ = ["Steps", "settle"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Steps:
    """Seconds per step of one batch, recorded from any thread."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def run(self, step: str, work: Callable[..., T], *args: Any) -> T:
        began = time.monotonic()
        try:
            return work(*args)
        finally:
            self.add(step, time.monotonic() - began)

    def add(self, step: str, seconds: float) -> None:
        with self._lock:
            self.seconds[step] = round(self.seconds.get(step, 0.0) + seconds, 3)

    def settle(self, futures: list[Future]) -> None:
        """Wait for ``futures`` (booked as ``waiting``), then raise the first failure."""
        began = time.monotonic()
        try:
            settle(futures)
        finally:
            self.add("waiting", time.monotonic() - began)


def settle(futures: list[Future]) -> None:
    """Wait for every one of ``futures``; raise the first failure, log the others.

    Every step has ended when this returns or raises, so a failed batch stops whole: nothing of
    it runs on after Spark is told it failed."""
    wait(futures)
    failures = [f.exception() for f in futures if f.exception() is not None]
    for other in failures[1:]:
        log.error("another step of the batch failed too: %s: %s", type(other).__name__, other)
    if failures:
        raise failures[0]
