"""The ledger: per run, batch, topic-partition and hour, the offsets read and where every
record went.

The streaming job writes it after the tables, in the same idempotent way (its commit tagged
with the app id and batch id), so a replayed batch adds no second row; replays append one row
per chunk.
The audit reads it beside the tables, and ``--resume-from-ledger`` restarts from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobs.core.batch_stats import PartitionStats

__all__ = ["REPLAY_MODES", "RESUME", "RESUMING_MODES", "STREAM", "LedgerEntry", "ledger_rows"]

# The ledger's ``mode`` column: who wrote the rows.
STREAM = "stream"
RESUME = "resume"  # --resume-from-ledger finishing a batch cut short
REPLAY_MODES = {"kafka": "replay-kafka", "backup": "replay-backup", "dlq": "replay-dlq"}
# Rows that say where the stream stopped: what --resume-from-ledger starts after.
RESUMING_MODES = (STREAM, RESUME)


@dataclass(frozen=True)
class LedgerEntry:
    """Who wrote a batch's rows: the job, the mode (stream, replay-kafka, …) and the run."""

    job_name: str
    mode: str
    run_id: str
    backed_up: bool = True


def ledger_rows(
    batch_id: int,
    partitions: Sequence[PartitionStats],
    entry: LedgerEntry,
    *,
    started_at: datetime,
    ended_at: datetime,
) -> list[tuple]:
    """One row per partition stats, in the order of ``jobs.core.columns.LEDGER_COLUMNS``."""
    return [
        (
            entry.job_name,
            entry.mode,
            entry.run_id,
            batch_id,
            p.topic,
            p.partition,
            p.date,
            p.hour,
            p.first_offset,
            p.last_offset,
            p.read,
            p.read if entry.backed_up else 0,
            p.output,
            p.filtered,
            p.dlq,
            list(p.filtered_offsets),
            started_at,
            ended_at,
        )
        for p in partitions
    ]
