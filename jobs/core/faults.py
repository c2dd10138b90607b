"""Fault-injection points for crash and stop tests. Unset in production.

``KAFKA_STREAM_FAULT=after-backup:3`` kills the process with SIGKILL's exit status right after
batch 3's backup commit; ``after-backup:+2`` the second time this process gets there, whatever
the batch id (a restarted job goes on from its checkpoint's batch id). ``sigterm@after-backup:+1``
sends the process SIGTERM there instead and goes on, as an operator's stop at that very step
would. Points: after-backup, after-output, after-dlq, before-checkpoint.
"""

from __future__ import annotations

import collections
import os
import signal

__all__ = ["ENV", "crash_point"]

ENV = "KAFKA_STREAM_FAULT"
_SIGTERM = "sigterm@"
_reached: collections.Counter[str] = collections.Counter()


def crash_point(point: str, batch_id: int) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    _reached[point] += 1
    target = wanted.removeprefix(_SIGTERM)
    if target in (f"{point}:{batch_id}", f"{point}:+{_reached[point]}"):
        if target != wanted:
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            os._exit(137)
