"""The streaming job run in-process, exactly as ``python -m jobs.stream`` runs it (``main(argv)``).

Measured without touching the job: Spark's progress events (per trigger), the job's own batch
log lines (seconds per step), and a timing wrapper around each Delta append, whose split
into file writing and commit is read from the table's log afterwards.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.progress import QueryProgress

PROCESSOR = "jobs.processors.builtin:json_events"  # the built-in: Spark SQL, in the JVM
PYTHON_PROCESSOR = "jobs.processors.builtin:JsonEvents"  # the same, as a Python processor
TABLES = ("backup", "output", "dlq")


def job_argv(
    bootstrap: str,
    topic: str,
    workdir: Path,
    *,
    trigger: str,
    batch_records: int | None,
    master: str,
    extra: tuple[str, ...] = (),
    processor: str = PROCESSOR,
) -> list[str]:
    argv = [
        "--bootstrap-servers",
        bootstrap,
        "--topics",
        topic,
        "--processor",
        processor,
        "--checkpoint",
        str(workdir / "checkpoint"),
        "--backup-path",
        str(workdir / "backup"),
        "--dlq-path",
        str(workdir / "dlq"),
        "--output-path",
        str(workdir / "output"),
        "--trigger",
        trigger,
        "--master",
        master,
        "--name",
        "bench",
    ]
    if batch_records:
        argv += ["--max-offsets-per-trigger", str(batch_records)]
    return [*argv, *extra]


class BatchLines(logging.Handler):
    """The job's ``{"event":"batch",…}`` log lines, parsed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.batches: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith('{"event":"batch"'):
            self.batches.append(json.loads(message))


@contextmanager
def timed_saves() -> Iterator[list[dict]]:
    """Wall-clock start and end of every ``DataFrameWriter.save(path)``: the Delta appends.

    Wrapping Spark's writer rather than a function of ``jobs`` keeps the measurement working
    whatever the job's internals are called.
    """
    from pyspark.sql.readwriter import DataFrameWriter

    original = DataFrameWriter.save
    calls: list[dict] = []

    def timed(self, path=None, *args, **kwargs):
        began = time.time()
        try:
            return original(self, path, *args, **kwargs)
        finally:
            if path is not None:
                calls.append({"path": str(path), "began": began, "ended": time.time()})

    DataFrameWriter.save = timed
    try:
        yield calls
    finally:
        DataFrameWriter.save = original


def run_job(argv: list[str], progress: QueryProgress) -> dict:
    """``progress`` is the recorder's fresh record for this query (``recorder.reset()``)."""
    from jobs import stream

    lines = BatchLines()
    logger = logging.getLogger("jobs.runs.stream")
    logger.addHandler(lines)
    try:
        with timed_saves() as saves:
            code = stream.main(argv)
        progress.terminated.wait(30)
    finally:
        logger.removeHandler(lines)
    if code != 0:
        raise RuntimeError(f"the job exited with code {code}; arguments {argv}")
    return {
        "records": sum(b["read"] for b in lines.batches),
        "seconds": progress.wall_seconds(),
        "batches": len(lines.batches),
        "job_batches": lines.batches,
        "progress": progress.batches,
        "saves": saves,
    }
