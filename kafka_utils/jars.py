"""JVM jars resolved by Maven into a git-ignored cache, once, then reused offline.

Two kinds, each its own classpath: ``spark`` (Kafka connector and Delta, added to
``spark.jars``) and ``broker`` (an Apache Kafka broker for tests, never on Spark's classpath).
The Maven file is ``spark-conf/pom.xml``; a stamp holding its hash marks a complete resolution,
so an edited pom resolves again and an unchanged one costs nothing.

Run ``python -m kafka_utils.jars`` to resolve both kinds (``make setup`` does).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

from kafka_utils.errors import JarsUnavailableError

JarKind = Literal["spark", "broker"]
KINDS: tuple[JarKind, ...] = ("spark", "broker")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POM = PROJECT_ROOT / "spark-conf" / "pom.xml"
CACHE_ENV = "KAFKA_STREAM_JARS_DIR"
_STAMP = ".resolved"


def cache_dir() -> Path:
    """The folder that holds one sub-folder of jars per kind."""
    return Path(os.environ.get(CACHE_ENV, PROJECT_ROOT / ".cache" / "jars")).resolve()


def _pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def is_resolved(kind: JarKind) -> bool:
    stamp = cache_dir() / kind / _STAMP
    return stamp.is_file() and stamp.read_text().strip() == _pom_hash()


def resolve(kind: JarKind) -> Path:
    """Resolve one kind with Maven unless the cache already holds it; return its folder."""
    folder = cache_dir() / kind
    if is_resolved(kind):
        return folder
    if shutil.which("mvn") is None:
        raise JarsUnavailableError(
            f"Maven ('mvn') is not on PATH; it is needed once to fetch the {kind} jars into "
            f"{folder}. Install Maven (apt-get install maven) or set {CACHE_ENV} to a folder "
            "that already holds them."
        )
    shutil.rmtree(folder, ignore_errors=True)
    command = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(POM),
        "-P",
        f"{kind}-jars",
        "dependency:copy-dependencies",
        f"-DoutputDirectory={folder}",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise JarsUnavailableError(
            f"Maven could not resolve the {kind} jars listed in {POM} (is Maven Central "
            f"reachable, or ~/.m2 already filled?). Maven said:\n{tail}"
        )
    (folder / _STAMP).write_text(_pom_hash())
    return folder


def jars(kind: JarKind) -> list[Path]:
    """The jar files of one kind, resolving them first if needed."""
    return sorted(resolve(kind).glob("*.jar"))


def classpath(kind: JarKind) -> str:
    return os.pathsep.join(str(j) for j in jars(kind))


def main() -> int:
    for kind in KINDS:
        try:
            folder = resolve(kind)
        except JarsUnavailableError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        count = len(list(folder.glob("*.jar")))
        size = sum(j.stat().st_size for j in folder.glob("*.jar")) / 2**20
        print(f"{kind} jars: {count} files, {size:.0f} MiB in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
