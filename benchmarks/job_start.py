"""A short job run as its own process with the JVM's defaults, with the flags the suite gives
its Spark JVMs (``tests/spark_jvm.py``: C1 only and the serial collector) and with those and
the suite's class-data archive (``make jvm-archive`` builds it), side by side in interleaved
rounds: ``python -m benchmarks.job_start [rounds]``. Each run's wall time, and the CPU-seconds
the whole machine spent meanwhile (the suite is bound by its two cores, not by waits).

Each run is what most tests pay: a Spark start, a first batch and a few more (900 records in
six batches of 150 on a new checkpoint), so the figure is mostly JVM start and warm-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.job_run import job_argv
from kafka_utils import KafkaUtils
from tests import spark_jvm

__all__ = ["main"]

FLAGS = {
    "JVM defaults": "",
    "C1 + serial GC": spark_jvm.LEAN_JVM,
    "C1 + serial GC + archive": spark_jvm.java_options(test_spark=False),
    "C1 + serial GC + archive + test Spark settings": spark_jvm.java_options(),
}
RECORDS = 900


def busy_seconds() -> float:
    """CPU-seconds the machine has spent since boot, all cores, idle and I/O wait left out."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def run_once(kafka: KafkaUtils, workdir: Path, options: str) -> tuple[float, float]:
    topic = f"job-start-{uuid.uuid4().hex[:8]}"
    kafka.create_topics([topic], num_partitions=3)
    kafka.send_messages(topic, [(b"k", b'{"id": %d}' % i) for i in range(RECORDS)])
    folder = workdir / topic
    argv = job_argv(
        kafka.broker,
        topic,
        folder,
        trigger="available-now",
        batch_records=RECORDS // 6,
        master="local[2]",
    )
    env = {**os.environ, "SPARK_SUBMIT_OPTS": options}
    began, cpu = time.monotonic(), busy_seconds()
    folder.mkdir()
    with (folder / "job.log").open("wb") as log:
        code = subprocess.call(
            [sys.executable, "-m", "jobs.stream", *argv], env=env, stdout=log, stderr=log
        )
    if code != 0:
        raise SystemExit(f"the job failed (exit {code}): see {folder / 'job.log'}")
    return time.monotonic() - began, busy_seconds() - cpu


def main(rounds: int = 3) -> None:
    kafka = KafkaUtils()
    kafka.setup()
    seconds: dict[str, list[float]] = {name: [] for name in FLAGS}
    cpu: dict[str, list[float]] = {name: [] for name in FLAGS}
    try:
        with tempfile.TemporaryDirectory(prefix="job-start-") as workdir:
            for number in range(rounds):
                for name, options in FLAGS.items():
                    wall, used = run_once(kafka, Path(workdir), options)
                    seconds[name].append(wall)
                    cpu[name].append(used)
                    print(f"round {number + 1}: {name}: {wall:.1f}s, {used:.1f} CPU-s", flush=True)
    finally:
        kafka.teardown()
    for what, values, unit in (("wall", seconds, "s"), ("CPU", cpu, " CPU-s")):
        medians = {name: statistics.median(v) for name, v in values.items()}
        default = medians["JVM defaults"]
        for name, median in medians.items():
            ratio = "" if name == "JVM defaults" else f", ratio to it {median / default:.2f}"
            print(f"{what}: {name}: median {median:.1f}{unit} of {rounds}{ratio}")
    if not spark_jvm.archive().is_file():
        print("(no class-data archive: 'make jvm-archive' builds it; the third run had none)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
