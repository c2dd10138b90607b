"""SIGTERM and SIGINT turned into a ``StopRequest``, from the first line of an entry point."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from jobs.core.stop_request import StopRequest

__all__ = ["STOP_SIGNALS", "handle_stop_signals", "ignore_stop_signals", "stop_signals"]

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_signals() -> Iterator[StopRequest]:
    """While inside, SIGTERM/SIGINT ask for a stop (a repeat is only logged); the previous
    handlers come back on leaving. Outside the main thread (a test calling ``main``) signals
    cannot be handled: the request then only comes from the job itself."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    handle_stop_signals(stop)
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def handle_stop_signals(stop: StopRequest) -> None:
    """(Re)install the handlers: PySpark's SparkContext puts its own on SIGINT, which cancels
    every Spark job at once; call this again once the session is up."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if not stop.ask(name, by_signal=True):
            log.info("%s again: already stopping after the running batch", name)

    for s in STOP_SIGNALS:
        signal.signal(s, handle)


def ignore_stop_signals() -> None:
    """Once the job is done only the interpreter's shutdown is left: a late signal must not
    turn a clean exit into a kill."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)
