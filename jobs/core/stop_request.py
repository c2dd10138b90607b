"""A request to stop after the running batch, asked by a signal or by the job itself."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["StopRequest"]


class StopRequest:
    """Set once, read from any thread; later requests are only reported as repeats.

    ``by_signal`` tells a stop an operator asked for (exit code 3, the run is not done) from
    one the job decided itself (``--stop-at-offsets`` reached: the run is done, exit code 0).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._by_signal = False
        self._listeners: list[Callable[[str], None]] = []

    @property
    def reason(self) -> str | None:
        return self._reason

    @property
    def by_signal(self) -> bool:
        return self._by_signal

    def ask(self, reason: str, *, by_signal: bool = False) -> bool:
        """Request a stop; False when one was already requested (nothing changes then)."""
        with self._lock:
            if self._reason is not None:
                return False
            self._reason, self._by_signal = reason, by_signal
            listeners = list(self._listeners)
        for listener in listeners:
            listener(reason)
        return True

    def on_request(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(reason)`` on the first request, at once if it was already made."""
        with self._lock:
            self._listeners.append(listener)
            reason = self._reason
        if reason is not None:
            listener(reason)
