"""Running the streaming job from tests, and reading what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from jobs import stream

REPO = Path(__file__).resolve().parents[2]
_STARTED: list[subprocess.Popen] = []


@dataclass(frozen=True)
class JobPaths:
    root: Path

    @property
    def checkpoint(self) -> str:
        return str(self.root / "checkpoint")

    @property
    def backup(self) -> str:
        return str(self.root / "backup")

    @property
    def dlq(self) -> str:
        return str(self.root / "dlq")

    @property
    def ledger(self) -> str:
        return str(self.root / "ledger")

    @property
    def output(self) -> str:
        return str(self.root / "output")

    def args(self, bootstrap: str, topic: str, processor: str) -> list[str]:
        return [
            "--bootstrap-servers",
            bootstrap,
            "--topics",
            topic,
            "--processor",
            processor,
            "--checkpoint",
            self.checkpoint,
            "--backup-path",
            self.backup,
            "--dlq-path",
            self.dlq,
            "--output-path",
            self.output,
            "--ledger-path",
            self.ledger,
            "--name",
            "test",
        ]


def run_in_process(args: list[str]) -> int:
    return stream.main(args)


def start_subprocess(args: list[str], log: Path, **env: str) -> subprocess.Popen:
    """The job as its own process, the way a scheduler runs it; output goes to ``log``. Its JVM
    gets the suite's options from ``SPARK_SUBMIT_OPTS`` (``tests/spark_jvm.py``)."""
    environment = {**os.environ, **env}
    with log.open("ab") as out:
        job = subprocess.Popen(
            [sys.executable, "-m", "jobs.stream", *args],
            cwd=REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _STARTED.append(job)
    return job


def kill_leftover_jobs() -> list[str]:
    """SIGKILL the jobs started here that still run (a test failed before stopping them), so
    that they do not load the machine and the shared broker for the tests after; their Spark
    JVMs end with them."""
    left = [job for job in _STARTED if job.poll() is None]
    for job in left:
        job.kill()
        job.wait()
    _STARTED.clear()
    return [f"job process {job.pid}" for job in left]


def summary_from(text: str) -> dict:
    line = next(line for line in text.splitlines() if line.startswith('{"event": "summary"'))
    return json.loads(line)


def table(spark, path: str):
    return spark.read.format("delta").load(path)


def replaced(args: list[str], flag: str, value: str) -> list[str]:
    i = args.index(flag)
    return [*args[: i + 1], value, *args[i + 2 :]]


def checkpoint_batches(checkpoint: str, folder: str = "commits") -> set[int]:
    """The batch ids of a checkpoint's ``commits`` (or ``offsets``) log."""
    path = Path(checkpoint) / folder
    return {int(n) for n in os.listdir(path) if n.isdecimal()} if path.is_dir() else set()


def uncommitted_batches(checkpoint: str) -> list[int]:
    """Batches whose offsets Spark logged without a commit: a restart would run them again."""
    return sorted(checkpoint_batches(checkpoint, "offsets") - checkpoint_batches(checkpoint))


def batch_ids(text: str) -> list[int]:
    """The batch ids a run's log reports as done."""
    return [
        json.loads(line[line.index("{") :])["batch_id"]
        for line in text.splitlines()
        if '"event": "batch"' in line or '"event":"batch"' in line
    ]


def handles_sigterm(pid: int) -> bool:
    """True once the process has a handler for SIGTERM (Linux: bit 15 of SigCgt)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (15 - 1)))
