"""JVM jars resolved by Maven once per user, into a cache reused afterwards with no Maven at all.

Two kinds, each its own classpath: ``spark`` (Kafka connector and Delta, for ``spark.jars``) and
``broker`` (an Apache Kafka broker for tests, never on Spark's classpath). Their Maven coordinates
ship inside the package (``kafka_utils/pom.xml``). The cache lives in ``$KAFKA_UTILS_JARS_DIR``,
else ``$XDG_CACHE_HOME/kafka-utils/jars``, else ``~/.cache/kafka-utils/jars``; inside, a folder
named after a hash of the packaged pom holds one folder per kind, so another version of the package
never sees jars it did not ask for. A kind is published by renaming a complete folder into place,
so two test runs resolving at once cannot leave half a cache behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from kafka_utils.errors import JarsUnavailableError
from kafka_utils.jvm import java_executable

__all__ = [
    "CACHE_ENV",
    "KINDS",
    "POM",
    "JarKind",
    "cache_dir",
    "cache_root",
    "classpath",
    "coordinates",
    "is_resolved",
    "jars",
    "resolve",
]

JarKind = Literal["spark", "broker"]
KINDS: tuple[JarKind, ...] = ("spark", "broker")
POM = Path(__file__).with_name("pom.xml")
CACHE_ENV = "KAFKA_UTILS_JARS_DIR"
_STAMP = ".resolved"
_MAVEN = "{http://maven.apache.org/POM/4.0.0}"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cache_root() -> Path:
    """The folder that holds every resolution, of this version and of others."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base, "kafka-utils", "jars").resolve()


def cache_dir() -> Path:
    """The folder of this package's coordinates: one sub-folder of jars per kind."""
    return cache_root() / hashlib.sha256(POM.read_bytes()).hexdigest()[:12]


def is_resolved(kind: JarKind) -> bool:
    return (cache_dir() / kind / _STAMP).is_file()


def coordinates(kind: JarKind) -> list[str]:
    """``group:artifact:version`` of what the ``kind`` profile asks for (not its dependencies)."""
    root = ET.parse(POM).getroot()
    properties = {
        p.tag.removeprefix(_MAVEN): p.text or "" for p in root.find(f"{_MAVEN}properties")
    }

    def text(element: ET.Element, tag: str) -> str:
        value = element.findtext(f"{_MAVEN}{tag}", "")
        for name, replacement in properties.items():
            value = value.replace("${" + name + "}", replacement)
        return value

    for profile in root.iter(f"{_MAVEN}profile"):
        if profile.findtext(f"{_MAVEN}id") == f"{kind}-jars":
            dependencies = profile.iter(f"{_MAVEN}dependency")
            return [
                ":".join(text(d, t) for t in ("groupId", "artifactId", "version"))
                for d in dependencies
            ]
    raise JarsUnavailableError(f"{POM} has no {kind}-jars profile")


def resolve(kind: JarKind, report: Callable[[str], None] = _stderr) -> Path:
    """The folder of one kind's jars, fetched with Maven first if the cache lacks them."""
    folder = cache_dir() / kind
    if is_resolved(kind):
        return folder
    maven = _maven_executable(kind, folder)
    report(
        f"kafka-utils: fetching the {kind} jars with Maven, once per user: "
        f"{', '.join(coordinates(kind))} and their dependencies, into {folder}"
    )
    began = time.monotonic()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=folder.parent))
    try:
        _copy_dependencies(maven, kind, staging)
        (staging / _STAMP).write_text(f"{' '.join(coordinates(kind))}\n")
        _publish(staging, folder, kind)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    found = list(folder.glob("*.jar"))
    size = sum(j.stat().st_size for j in found) / 2**20
    report(
        f"kafka-utils: {kind} jars ready: {len(found)} files, {size:.0f} MiB, "
        f"in {time.monotonic() - began:.0f} s"
    )
    return folder


def jars(kind: JarKind) -> list[Path]:
    """The jar files of one kind, resolving them first if needed."""
    return sorted(resolve(kind).glob("*.jar"))


def classpath(kind: JarKind) -> str:
    return os.pathsep.join(str(j) for j in jars(kind))


def _maven_executable(kind: JarKind, folder: Path) -> str:
    java_executable()  # Maven needs Java too; this says what to install if it is missing
    maven = shutil.which("mvn")
    if maven is None:
        raise JarsUnavailableError(
            f"kafka-utils needs Maven ('mvn' on PATH) once, to fetch the {kind} jars into "
            f"{folder}: install Maven (e.g. apt-get install maven), or set {CACHE_ENV} to a "
            "folder that already holds them."
        )
    return maven


def _copy_dependencies(maven: str, kind: JarKind, output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kafka-utils-maven-") as work:
        pom = Path(shutil.copy(POM, Path(work, "pom.xml")))  # Maven may write beside its pom
        command = [
            maven, "-q", "-B", "-f", str(pom), "-P", f"{kind}-jars",
            "dependency:copy-dependencies", f"-DoutputDirectory={output}",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=work)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise JarsUnavailableError(
            f"Maven could not fetch the {kind} jars ({', '.join(coordinates(kind))}); is Maven "
            f"Central reachable, or ~/.m2 filled? Maven said:\n{tail}"
        )


def _publish(staging: Path, folder: Path, kind: JarKind) -> None:
    """Rename the complete folder into place; a concurrent run that got there first wins."""
    try:
        staging.rename(folder)
    except OSError:
        if is_resolved(kind):
            return
        shutil.rmtree(folder, ignore_errors=True)  # an incomplete folder left by hand
        staging.rename(folder)
