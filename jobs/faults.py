"""Fault-injection points for crash tests: ``KAFKA_STREAM_FAULT=after-backup:3`` kills the
process with SIGKILL's exit status right after batch 3's backup commit. Points: after-backup,
after-output, after-dlq, before-checkpoint. Unset in production."""

from __future__ import annotations

import os

ENV = "KAFKA_STREAM_FAULT"


def crash_point(point: str, batch_id: int) -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted == f"{point}:{batch_id}":
        os._exit(137)
