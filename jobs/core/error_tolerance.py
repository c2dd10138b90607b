"""How many failed records a batch may send to the DLQ before the job stops: the spirit of
Kafka Connect's ``errors.tolerance``. Pure.

``all`` (the default) tolerates every failure: each goes to the DLQ and the job goes on.
``none`` stops at the first one; ``N`` when a batch sends more than N records to the DLQ;
``P%`` when more than P percent of the records a batch read go there. The check runs after the
processor and before the batch's output and DLQ writes, so a stopped batch has written its
backup only (idempotent per batch): after a fix the next run processes it again whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from jobs.core.errors import JobError

__all__ = [
    "TOLERATE_ALL",
    "ErrorCounts",
    "ErrorTolerance",
    "ErrorsNotTolerated",
    "parse_error_tolerance",
]

TOP_TYPES = 3
SAMPLE_CHARS = 300


class ErrorsNotTolerated(JobError):
    """A batch's DLQ share or count passed ``--errors-tolerance``: exit 1, nothing of the
    batch's output or DLQ written."""


@dataclass(frozen=True)
class ErrorTolerance:
    """``max_dlq`` records or ``max_share`` of the records read (0..1); neither: all."""

    max_dlq: int | None = None
    max_share: float | None = None

    def __str__(self) -> str:
        if self.max_share is not None:
            return f"{self.max_share * 100:g}%"
        if self.max_dlq is None:
            return "all"
        return "none" if self.max_dlq == 0 else str(self.max_dlq)

    def exceeded(self, read: int, dlq: int) -> bool:
        if self.max_dlq is not None and dlq > self.max_dlq:
            return True
        return self.max_share is not None and read > 0 and dlq / read > self.max_share


TOLERATE_ALL = ErrorTolerance()


def parse_error_tolerance(text: str) -> ErrorTolerance | None:
    """``all``, ``none``, ``N`` or ``P%``; None when the text is none of these."""
    value = text.strip().lower()
    if value in ("all", "none"):
        return TOLERATE_ALL if value == "all" else ErrorTolerance(max_dlq=0)
    try:
        if value.endswith("%"):
            share = float(value[:-1]) / 100
            return ErrorTolerance(max_share=share) if 0 <= share < 1 else None
        count = int(value)
    except ValueError:
        return None
    return ErrorTolerance(max_dlq=count) if count >= 0 else None


@dataclass(frozen=True)
class ErrorCounts:
    """One batch's DLQ records by ``error_type``, with one sample message per type."""

    batch_id: int
    read: int
    by_type: Mapping[str, int]
    samples: Mapping[str, str]

    @property
    def dlq(self) -> int:
        return sum(self.by_type.values())

    def top(self) -> list[tuple[str, int]]:
        return sorted(self.by_type.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TYPES]

    def warn_line(self) -> str:
        """The WARN line of a batch with DLQ rows."""
        return json.dumps(
            {
                "event": "dlq",
                "batch_id": self.batch_id,
                "read": self.read,
                "dlq": self.dlq,
                "error_types": dict(sorted(self.by_type.items())),
            }
        )

    def not_tolerated(self, tolerance: ErrorTolerance) -> ErrorsNotTolerated:
        top = ", ".join(f"{count} {name}" for name, count in self.top())
        first = self.top()[0][0]
        sample = self.samples.get(first, "").replace("\n", " ")[:SAMPLE_CHARS]
        return ErrorsNotTolerated(
            f"--errors-tolerance {tolerance}: batch {self.batch_id} sent {self.dlq} of "
            f"{self.read} records to the DLQ ({top}); e.g. {first}: {sample!r}. Nothing of "
            "this batch was written but its backup: fix the processor or the data, then run "
            "again (or --errors-tolerance all to send them to the DLQ)"
        )
