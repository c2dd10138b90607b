"""The orchestrator's side of a Spark worker process: send a task, wait for its result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from benchmarks.spark_worker import RESULT_PREFIX


class WorkerFailed(RuntimeError):
    pass


class SparkWorker:
    """A ``benchmarks.spark_worker`` child with its own JVM; output goes to ``log_path``."""

    def __init__(self, master: str, bootstrap: str, log_path: Path) -> None:
        self.master = master
        self.log_path = log_path
        self._log = open(log_path, "a")  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.spark_worker",
                "--master",
                master,
                "--bootstrap",
                bootstrap,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._reply()

    @property
    def pid(self) -> int:
        return self._process.pid

    def run(self, task: dict) -> dict:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(task, default=str) + "\n")
        self._process.stdin.flush()
        return self._reply()

    def _reply(self) -> dict:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith(RESULT_PREFIX):
                reply = json.loads(line[len(RESULT_PREFIX) :])
                if not reply["ok"]:
                    raise WorkerFailed(f"{self.master}: {reply['error']}\n{reply['trace']}")
                return reply["result"]
            self._log.write(line)
        raise WorkerFailed(
            f"the {self.master} worker exited (code {self._process.wait()}); see {self.log_path}"
        )

    def close(self) -> None:
        """Ask the worker to stop its Spark session and exit; kill it if it does not."""
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(json.dumps({"kind": "exit"}) + "\n")
                self._process.stdin.close()
                self._process.wait(60)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._log.close()

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()

    def __enter__(self) -> SparkWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None and self._process.poll() is None:
            self.kill()
        self.close()
