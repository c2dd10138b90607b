"""Fault-injection points for crash tests. Unset in production.

``KAFKA_STREAM_FAULT=after-backup:3`` kills the process with SIGKILL's exit status right after
batch 3's backup commit; ``after-backup:+2`` the second time this process gets there, whatever
the batch id (a restarted job goes on from its checkpoint's batch id). Points: after-backup,
after-output, after-dlq, before-checkpoint.
"""

from __future__ import annotations

import collections
import os

__all__ = ["ENV", "crash_point"]

ENV = "KAFKA_STREAM_FAULT"
_reached: collections.Counter[str] = collections.Counter()


def crash_point(point: str, batch_id: int) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    _reached[point] += 1
    if wanted in (f"{point}:{batch_id}", f"{point}:+{_reached[point]}"):
        os._exit(137)
