"""The checkpoint lease: who holds a checkpoint, and when a holder no longer counts. Pure.

A running job keeps one small file in its checkpoint (``jobs.io.checkpoint_lock``) naming
itself, and renews it every ``seconds / 3``. Another job may take it over when the holder
stopped renewing for ``seconds`` (killed, host lost), or at once when the holder ran on the
same host and its process is gone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

__all__ = ["LEASE_FILE", "Lease", "is_expired", "renew_every"]

LEASE_FILE = "kafka-stream-job.lock"


@dataclass(frozen=True)
class Lease:
    """One holder of a checkpoint: the job, where it runs, since when, and its lease term."""

    job: str
    host: str
    pid: int
    since: str
    run_id: str
    seconds: float
    process_start: str = ""
    """The holder's process start time as the OS counts it: a pid reused by another process
    after a restart does not pass for the holder."""

    def to_text(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> Lease:
        """Raises ValueError for anything that is not a lease this job wrote."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        try:
            lease = cls(**raw)
        except TypeError as e:
            raise ValueError(str(e)) from None
        if not isinstance(lease.pid, int) or not isinstance(lease.seconds, int | float):
            raise ValueError("pid and seconds must be numbers")
        return lease

    def describe(self, renewed_at: float, now: float) -> str:
        ago = max(0.0, now - renewed_at)
        return (
            f"job {self.job!r} on host {self.host}, pid {self.pid}, since {self.since} "
            f"(lease renewed {ago:.0f}s ago, expires {self.seconds:g}s after a renewal)"
        )


def is_expired(lease: Lease, renewed_at: float, now: float) -> bool:
    """True when the holder has not renewed for its whole term."""
    return now - renewed_at > lease.seconds


def renew_every(seconds: float) -> float:
    """Three renewals per term: one late or lost renewal does not lose the lease."""
    return seconds / 3


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
