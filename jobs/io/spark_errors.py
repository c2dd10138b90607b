"""Spark and JVM exceptions read in one place: what they mean for the job, and the messages
a person sees instead of a Java stack."""

from __future__ import annotations

__all__ = ["failure_message", "is_concurrent_commit", "is_worker_death"]

WORKER_DIED = (
    "Python worker exited unexpectedly",
    "crashed",
    "EOFException",
    "Connection reset",
)


def is_worker_death(error: BaseException) -> bool:
    text = str(error)
    return any(marker in text for marker in WORKER_DIED)


def is_concurrent_commit(error: BaseException) -> bool:
    """Delta refused a commit because another writer (the stream) committed to the same files."""
    return "Concurrent" in type(error).__name__ + str(error)[:200]


def failure_message(error: BaseException) -> str:
    """The first lines of a query failure, without the JVM stack."""
    text = getattr(error, "desc", None) or str(error)
    lines = [
        line for line in str(text).splitlines() if line.strip() and not line.startswith("\tat ")
    ]
    return "the streaming query failed: " + "\n".join(lines[:6])
