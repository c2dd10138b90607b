"""The Java options of the suite's Spark JVMs: C1 only, the serial collector, a class-data
archive, and Spark settings that spare a small job work it only needs at scale.

Every Spark JVM of the suite (each worker's session, the jobs its tests start as processes,
the spark-submit runs) starts with a class-data-sharing archive of the classes a job loads,
which spares it most of its class loading and verification, and with C1 only and the serial
collector (``LEAN_JVM``): on two cores shared by two workers, their brokers and the jobs the
tests start, C2's compiler threads and G1's helpers took more from the tests than their code
gave back. ``make test-fast`` side by side, runs interleaved (seconds): the JVM's defaults 92.5
and 83.4, C1 75.9 and 70.0, C1 and the serial collector 63.9 and 66.7. C1 alone sizes the code
cache for a short program (48 MiB); a worker's session lives through the whole suite, filled it
and failed a test with "Out of space in CodeCache", so the cache is reserved at tiered's size.

``TEST_SPARK`` are Spark settings given as system properties, which every SparkConf of the JVM
reads: no adaptive query execution, no code generation (Janino's compiles and C1's work on the
classes they make cost more than the few hundred rows a test batch has), no file statistics in
Delta commits, and 200 ms (not 10) between a ``processing-time=0s`` query's looks at Kafka when
it found nothing new. The tests check what the job writes and when, none of which these change;
the job itself and ``make bench`` run with Spark's defaults. Measured side by side, interleaved,
idle machine, CPU-seconds of the whole machine: a job start (900 records in six batches, four
rounds) 18.4-19.4 without the first three, 15.6-16.5 with them (``python -m
benchmarks.job_start`` prints both); an idle ``processing-time=0s`` job over 15 s (its polls and
the broker's answers, two rounds) 4.5-4.6 at 10 ms, 1.0 at 200 ms.

``python -m tests.spark_jvm`` (``make test`` runs it) builds the archive once: a short run of
``make demo``'s job whose JVM dumps the classes it loaded when it exits. The archive belongs to
one JDK, one virtualenv's pyspark and one set of job jars; when any of them changes it is built
again, and a JVM given an archive that does not fit ignores it quietly. Tests only: the job
itself runs with the JVM's defaults.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jobs.io.jars import jars_dir
from kafka_utils.class_archive import QUIET_OPTIONS, jdk_identity

__all__ = ["LEAN_JVM", "TEST_SPARK", "archive", "build", "java_options"]

REPO = Path(__file__).resolve().parents[1]
LEAN_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"
TEST_SPARK = " ".join(
    f"-D{key}={value}"
    for key, value in {
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        "spark.databricks.delta.stats.collect": "false",
        "spark.sql.streaming.pollingDelay": "200ms",
    }.items()
)
_QUIET = " ".join(QUIET_OPTIONS)
_FOLDER = REPO / ".cache" / "cds"


def archive() -> Path:
    """Where the archive for this JDK, pyspark and job jars is (or would be)."""
    return _FOLDER / f"spark-{_key()}.jsa"


def java_options(test_spark: bool = True) -> str:
    """``SPARK_SUBMIT_OPTS`` for the suite: ``LEAN_JVM``, the archive once it is built, and
    ``TEST_SPARK`` (``test_spark=False`` leaves it out, for a side-by-side measurement)."""
    found = archive()
    shared = f" -XX:SharedArchiveFile={found} {_QUIET}" if found.is_file() else ""
    return f"{LEAN_JVM}{shared} {TEST_SPARK}" if test_spark else f"{LEAN_JVM}{shared}"


def build(target: Path) -> float:
    """Run the demo's job with a JVM that writes the archive at exit; seconds taken."""
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spark-jvm-") as work:
        dumped = Path(work, "spark.jsa")
        options = f"{LEAN_JVM} {TEST_SPARK} -XX:ArchiveClassesAtExit={dumped}"
        env = {**os.environ, "SPARK_SUBMIT_OPTS": options}
        log = Path(work, "demo.log")
        with log.open("wb") as out:
            tables = str(Path(work, "demo"))  # the demo empties its folder first
            command = [sys.executable, "-m", "jobs.demo", "--records", "600", "--workdir", tables]
            code = subprocess.call(command, cwd=REPO, env=env, stdout=out, stderr=out)
        _wait_for_exit(f"-XX:ArchiveClassesAtExit={dumped}")
        if code != 0 or not dumped.is_file():
            tail = log.read_text()[-3000:]
            sys.exit(f"the class-data archive was not built (exit {code}):\n{tail}")
        target.parent.mkdir(parents=True, exist_ok=True)
        for old in target.parent.glob("spark-*.jsa"):
            old.unlink()
        shutil.move(dumped, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)
    return time.monotonic() - began


def _wait_for_exit(argument: str, deadline: float = 300) -> None:
    """Until no process has ``argument``: the job's JVM outlives its Python by the dump."""
    end = time.monotonic() + deadline
    while time.monotonic() < end and any(argument in c for c in _command_lines()):
        time.sleep(0.5)


def _command_lines() -> list[str]:
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return lines


def _key() -> str:
    """What the archive depends on: the JDK, the venv's pyspark jars, the job's jars."""
    stamp = jars_dir() / ".resolved"
    parts = [
        jdk_identity(),
        sys.prefix,
        _pyspark_version(),
        stamp.read_text() if stamp.is_file() else "",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _pyspark_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyspark")
    except PackageNotFoundError:
        return ""


def main() -> None:
    target = archive()
    if target.is_file():
        print(f"class-data archive for the suite's Spark JVMs: {target.relative_to(REPO)}")
        return
    print("building the class-data archive for the suite's Spark JVMs (one short demo run)...")
    seconds = build(target)
    size = target.stat().st_size / 2**20
    print(f"class-data archive: {target.relative_to(REPO)} ({size:.0f} MiB, {seconds:.0f} s)")


if __name__ == "__main__":
    main()
