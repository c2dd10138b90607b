"""Memory over a long run: RSS of the driver (Python and JVM) and of the Python workers.

The job runs as users run it, ``python -m jobs.stream`` in its own process, with a
processing-time trigger of 0 s and small micro-batches; a sampler thread reads the RSS of its
process tree every ``interval`` seconds and tags each sample with the last finished batch.
Once ``batches`` batches are done the job gets SIGTERM and stops after the running batch.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks import job_run
from benchmarks.stats import slope
from jobs.core import exit_codes

MIB = 1024 * 1024
COMPONENTS = ("driver_python", "driver_jvm", "python_workers")


class RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.root = psutil.Process(pid)
        self.interval = interval
        self.batch = -1
        self.stopping = False
        self.samples: list[dict] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval) and not self.stopping:
            with contextlib.suppress(psutil.Error):
                sample = {"t": time.time(), "batch": self.batch, **self.sample()}
                if sample["driver_jvm"] and not self.stopping:
                    self.samples.append(sample)

    def sample(self) -> dict[str, float]:
        jvms = [c for c in self.root.children(recursive=True) if c.name() == "java"]
        workers = [w for j in jvms for w in j.children(recursive=True) if "python" in w.name()]
        return {
            "driver_python": _rss(self.root),
            "driver_jvm": sum(_rss(j) for j in jvms),
            "python_workers": sum(_rss(w) for w in workers),
            "worker_processes": len(workers),
        }

    def stop(self) -> None:
        self._done.set()
        self.join(10)


def _rss(process: psutil.Process) -> float:
    try:
        return process.memory_info().rss / MIB
    except psutil.Error:
        return 0.0


def run_memory(
    bootstrap: str,
    topic: str,
    workdir: Path,
    *,
    batches: int,
    batch_records: int,
    with_output: bool,
    log_path: Path,
    stop_at: str,
) -> dict:
    """``stop_at`` (``--stop-at-offsets``) ends the run should the topic run out first."""
    argv = job_run.job_argv(
        bootstrap,
        topic,
        workdir,
        trigger="processing-time=0s",
        batch_records=batch_records,
        master="local[2]",
        extra=("--stop-at-offsets", stop_at),
    )
    if not with_output:
        at = argv.index("--output-path")
        del argv[at : at + 2]
    began = time.time()
    with open(log_path, "w") as log:
        job = subprocess.Popen(
            [sys.executable, "-m", "jobs.stream", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = RssSampler(job.pid)
        sampler.start()
        seconds = _follow(job, sampler, batches, log)
        code = job.wait()
        sampler.stop()
    if code not in (0, exit_codes.STOPPED):  # STOPPED: the SIGTERM above, after its batch
        raise RuntimeError(f"the memory run exited with code {code}; see {log_path}")
    return {
        "batches": len(seconds),
        "seconds": time.time() - began,
        "seconds_per_batch": sum(seconds) / max(len(seconds), 1),
        "batch_records": batch_records,
        "with_output": with_output,
        "samples": sampler.samples,
        "analysis": analyse(sampler.samples, len(seconds)),
        "batch_seconds": batch_time_trend(seconds),
    }


def _follow(job: subprocess.Popen, sampler: RssSampler, batches: int, log) -> list[float]:
    """Tag samples with the batch reached; SIGTERM once ``batches`` are done. Returns the
    seconds of each batch."""
    seconds: list[float] = []
    assert job.stderr is not None
    for line in job.stderr:
        log.write(line)
        at = line.find('{"event":"batch"')
        if at < 0:
            continue
        batch = json.loads(line[at:])
        sampler.batch = batch["batch_id"]
        seconds.append(batch["seconds"])
        if len(seconds) == batches:
            sampler.stopping = True
            job.send_signal(signal.SIGTERM)
    return seconds


def analyse(samples: list[dict], batches: int) -> dict[str, dict[str, float]]:
    """Per component: RSS early (10-20 % of the batches) and late (last 10 %), the change, and
    the least-squares slope in MiB per 100 batches after the first 10 % (start-up)."""
    first = batches // 10
    steady = [s for s in samples if s["batch"] >= first]
    early = [s for s in steady if s["batch"] < 2 * max(first, 1)]
    late = [s for s in steady if s["batch"] >= batches - max(first, 1)]
    result = {}
    for name in (*COMPONENTS, "total"):

        def value(s: dict, name: str = name) -> float:
            return sum(s[c] for c in COMPONENTS) if name == "total" else s[name]

        start = _mean([value(s) for s in early])
        end = _mean([value(s) for s in late])
        result[name] = {
            "early_mib": round(start, 1),
            "late_mib": round(end, 1),
            "change_pct": round(100 * (end - start) / start, 1) if start else 0.0,
            "slope_mib_per_100_batches": round(
                100 * slope([s["batch"] for s in steady], [value(s) for s in steady]), 2
            ),
        }
    return result


def batch_time_trend(seconds: list[float]) -> dict[str, float]:
    """Mean seconds per batch early (10-20 % of the run) and late (last 10 %): a table whose
    commits slow down as it grows shows here."""
    tenth = max(len(seconds) // 10, 1)
    return {
        "early": round(_mean(seconds[tenth : 2 * tenth]), 3),
        "late": round(_mean(seconds[-tenth:]), 3),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
