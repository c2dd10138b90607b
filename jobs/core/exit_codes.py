"""The process exit codes of every entry point, so a scheduler can tell how a run ended."""

from __future__ import annotations

__all__ = ["BAD_SETTINGS", "FAILED", "FINISHED", "STOPPED"]

FINISHED = 0
"""The run did all it was asked: the trigger ran out of data, or ``--stop-at-offsets`` was met."""

FAILED = 1
"""Something failed while running (Kafka, storage, Spark); the message says what."""

BAD_SETTINGS = 2
"""A setting is wrong, or the checkpoint is another job's or held by a running job; found
before any record is read."""

STOPPED = 3
"""Stopped by SIGTERM/SIGINT before the run was done: the running batch finished and its
checkpoint commit was written, so the next run goes on from there and repeats nothing. Not
128+signal on purpose: a shell reports a process *killed* by SIGTERM as 143."""
