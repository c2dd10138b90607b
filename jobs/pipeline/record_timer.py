"""A per-record time limit for the processor, enforced in the Python worker with SIGALRM.

A record that makes the processor hang would otherwise hold its task, and the stream, forever.
The alarm interrupts Python code (loops, sleeps, socket waits) and raises ``Timeout`` inside
the processor; ``Timeout`` is a ``BaseException`` so that a processor's own
``except Exception`` cannot swallow it. Code stuck inside a C call that ignores signals is not
interrupted: a worker killed for it is then isolated as a ``WorkerCrash`` (``poison.py``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Timeout", "time_limit"]


class Timeout(BaseException):
    """The processor ran longer than ``--record-timeout`` on one record."""

    error_type = "Timeout"


@contextmanager
def time_limit(seconds: float | None) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Yields ``limited(fn)``: calls ``fn()``, raising ``Timeout`` after ``seconds``.

    Without a limit, or off the main thread (where signals cannot be used), calls run as they
    are.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield lambda fn: fn()
        return

    def expire(signum, frame):
        raise Timeout(
            f"the processor took more than {seconds:g}s (--record-timeout) on this record"
        )

    previous = signal.signal(signal.SIGALRM, expire)

    def limited(fn: Callable[[], Any]) -> Any:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    try:
        yield limited
    finally:
        signal.signal(signal.SIGALRM, previous)
