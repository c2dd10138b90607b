"""One setting stretches every wait of the harness: ``$KAFKA_UTILS_TIME_SCALE``.

On a busy machine (a shared CI runner, two cores shared with other Spark jobs) everything
takes longer: a broker starts in 30 s instead of 3, a micro-batch in 20 s instead of 2. Every
deadline of the harness (its waits, broker start, client closes, JVM stops) is multiplied by
this one factor, and tests can stretch their own with :func:`scaled`::

    KAFKA_UTILS_TIME_SCALE=3 pytest     # every deadline three times as long

A deadline is an upper bound: a condition met early returns at once, so a large scale costs
nothing when all is well and only delays the report of a real failure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["TIME_SCALE_ENV", "ask_again", "scaled", "time_scale"]

T = TypeVar("T")

TIME_SCALE_ENV = "KAFKA_UTILS_TIME_SCALE"


def time_scale() -> float:
    """The factor of ``$KAFKA_UTILS_TIME_SCALE`` (1 when unset); a bad value raises ValueError
    naming the variable."""
    text = os.environ.get(TIME_SCALE_ENV, "").strip()
    if not text:
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not scale > 0 or scale == float("inf"):
        raise ValueError(f"{TIME_SCALE_ENV} must be a positive number such as 2, got {text!r}")
    return scale


def scaled(seconds: float) -> float:
    """``seconds`` times :func:`time_scale`: the deadline to use for a wait of ``seconds``."""
    return seconds * time_scale()


def ask_again(call: Callable[[], T], not_yet: tuple[type[BaseException], ...], timeout: float) -> T:
    """``call()``, again every 0.2 s while it raises one of ``not_yet`` (a cluster still
    starting), until ``timeout`` seconds have passed; then the last error stands."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except not_yet:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
