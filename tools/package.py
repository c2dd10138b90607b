"""Build what ``spark-submit`` needs to run the job on a cluster: ``python -m tools.package``.

Writes into ``--dist`` (``dist/``), replacing what an earlier build left there:

- ``kafka_stream_jobs.zip``  the ``jobs`` package (its .py files but the demo), for ``--py-files``
- ``stream.py``              the main file (a copy of ``jobs/stream.py``)
- ``jars.txt``               the Spark-side jars, comma-joined absolute paths, for ``--jars``
- ``packages.txt``           their Maven coordinates, for ``--packages``
- ``exclude-packages.txt``   the pom's exclusions, for ``--exclude-packages``: with them Spark's
                             Ivy resolves the same jars as Maven, none the pyspark wheel ships

then prints a spark-submit command that runs as printed, pasted into a fresh shell on this
machine (absolute paths; this venv's spark-submit, Spark and Python; Spark's log at WARN), with
the job flags given after ``--`` (by default a ``--dev`` run of topic ``orders`` on
127.0.0.1:9092). See ``docs/SPARK_SUBMIT.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from jobs.io.jars import POM, spark_jars

__all__ = [
    "Package",
    "build",
    "cluster_command",
    "main",
    "maven_coordinates",
    "maven_exclusions",
    "package_sources",
    "parse_args",
    "spark_home",
    "submit_command",
    "write_text",
]

REPO = Path(__file__).resolve().parents[1]
JOBS_DIR = REPO / "jobs"
# make demo's broker and sample data: the cluster has no use for them.
LEFT_OUT = (JOBS_DIR / "demo",)
PROPERTIES_FILE = REPO / "spark-conf" / "spark-defaults.conf"
LOG4J2_FILE = REPO / "spark-conf" / "log4j2.properties"
VENV_BIN = Path(sys.prefix) / "bin"  # not resolved: the venv's python, not the one it links to
DEFAULT_JOB_ARGS = (
    "--bootstrap-servers",
    "127.0.0.1:9092",
    "--topics",
    "orders",
    "--processor",
    "jobs.processors.builtin:json_events",
    "--dev",
    "--trigger",
    "available-now",
)
ZIP_NAME = "kafka_stream_jobs.zip"
JARS_PROFILE = "spark-jars"
_MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
# A fixed timestamp, so the same sources always give the same zip (and the same checksum).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CLUSTER_NOTE = """\
spark-conf/spark-defaults.conf binds the driver to 127.0.0.1; on a cluster in client mode add
  --conf spark.driver.host=<address the executors reach> --conf spark.driver.bindAddress=0.0.0.0
The driver's Python needs pyspark, pyarrow, pandas<3 and kafka-python; the executors' the
same but kafka-python (docs/SPARK_SUBMIT.md)."""


@dataclass(frozen=True)
class Package:
    zip: Path
    main: Path
    jars_file: Path
    packages_file: Path
    excludes_file: Path
    jars: tuple[Path, ...]
    packages: tuple[str, ...]


def build(dist: Path) -> Package:
    """Write the zip, the main file and the jar lists into ``dist``; return where."""
    dist = dist.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    jars = tuple(spark_jars())
    packages = tuple(maven_coordinates())
    excludes = maven_exclusions()
    return Package(
        zip=build_zip(dist / ZIP_NAME),
        main=copy_file(JOBS_DIR / "stream.py", dist / "stream.py"),
        jars_file=write_text(dist / "jars.txt", ",".join(str(j) for j in jars)),
        packages_file=write_text(dist / "packages.txt", ",".join(packages)),
        excludes_file=write_text(dist / "exclude-packages.txt", ",".join(excludes)),
        jars=jars,
        packages=packages,
    )


def package_sources(root: Path = JOBS_DIR) -> list[Path]:
    """The .py files of the ``jobs`` package, the demo and caches left out, in a stable order."""
    return sorted(
        p
        for p in root.rglob("*.py")
        if "__pycache__" not in p.parts and not any(p.is_relative_to(d) for d in LEFT_OUT)
    )


def build_zip(target: Path) -> Path:
    """The ``jobs`` package as ``jobs/…`` entries: what ``--py-files`` puts on sys.path."""
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in package_sources():
            entry = zipfile.ZipInfo(source.relative_to(REPO).as_posix(), _ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, source.read_bytes())
    os.replace(partial, target)  # a reader never sees a half-written zip
    return target


def copy_file(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def write_text(target: Path, text: str) -> Path:
    target.write_text(text + "\n")
    return target


def maven_coordinates(pom: Path = POM, profile: str = JARS_PROFILE) -> list[str]:
    """``group:artifact:version`` of the direct dependencies of one pom profile."""
    element, properties = _profile(pom, profile)
    return [
        _coordinate(d, ("groupId", "artifactId", "version"), properties)
        for d in element.findall("m:dependencies/m:dependency", _MAVEN_NS)
    ]


def maven_exclusions(pom: Path = POM, profile: str = JARS_PROFILE) -> list[str]:
    """``group:artifact`` (``*`` allowed) of the profile's exclusions, each once, in pom order.

    ``--exclude-packages`` matches them as globs, as Maven does.
    """
    element, properties = _profile(pom, profile)
    found = element.findall(".//m:exclusion", _MAVEN_NS)
    return list(dict.fromkeys(_coordinate(e, ("groupId", "artifactId"), properties) for e in found))


def _profile(pom: Path, profile: str) -> tuple[ElementTree.Element, dict[str, str]]:
    """One ``<profile>`` of the pom, and the ``<properties>`` that fill its ``${…}``."""
    root = ElementTree.parse(pom).getroot()
    properties = {
        e.tag.split("}")[-1]: (e.text or "").strip()
        for e in root.findall("m:properties/*", _MAVEN_NS)
    }
    for element in root.findall("m:profiles/m:profile", _MAVEN_NS):
        if _text(element, "m:id") == profile:
            return element, properties
    raise ValueError(f"{pom} has no profile {profile!r}")


def _coordinate(element: ElementTree.Element, parts: tuple[str, ...], props: dict[str, str]) -> str:
    return ":".join(_fill(_text(element, f"m:{part}"), props) for part in parts)


def _text(element: ElementTree.Element, path: str) -> str:
    return (element.findtext(path, default="", namespaces=_MAVEN_NS) or "").strip()


def _fill(value: str, properties: dict[str, str]) -> str:
    return _PROPERTY.sub(lambda m: properties[m.group(1)], value)


def submit_command(package: Package, job_args: tuple[str, ...] = DEFAULT_JOB_ARGS) -> str:
    """The spark-submit command of this machine, runnable as printed from any directory and
    any environment: nothing it needs comes from ``PATH``, ``SPARK_HOME`` or the working
    directory."""
    q = _quoted
    environment = (
        f"SPARK_LOCAL_IP=127.0.0.1 SPARK_HOME={q(spark_home())} "
        f"PYSPARK_PYTHON={q(VENV_BIN / 'python')}"
    )
    log4j = shlex.quote(f"-Dlog4j2.configurationFile=file:{LOG4J2_FILE}")
    return " ".join(
        [
            f"{environment} {q(VENV_BIN / 'spark-submit')} --master 'local[2]'",
            f'--py-files {q(package.zip)} --jars "$(cat {q(package.jars_file)})"',
            f"--properties-file {q(PROPERTIES_FILE)} --driver-java-options {log4j}",
            q(package.main),
            shlex.join(job_args),
        ]
    )


def cluster_command(package: Package) -> str:
    """A template for a cluster: ``--packages`` from Maven Central, the ``<…>`` to fill in."""
    return " ".join(
        [
            "spark-submit --master <master> --py-files kafka_stream_jobs.zip",
            f'--packages "$(cat {_shown(package.packages_file)})"',
            f'--exclude-packages "$(cat {_shown(package.excludes_file)})"',
            f"--properties-file <your spark-defaults.conf> {package.main.name}",
            "--bootstrap-servers <host:port> --topics <topic>",
            "--processor jobs.processors.builtin:json_events --checkpoint <checkpoint path>",
            "--backup-path <backup path> --dlq-path <dlq path> --output-path <output path>",
        ]
    )


def spark_home() -> Path:
    """The pyspark package of this Python: a whole Spark (``bin/``, ``jars/``)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise SystemExit("pyspark is not installed in this Python: run make setup")
    return Path(spec.origin).parent


def _quoted(path: Path) -> str:
    return shlex.quote(str(path.absolute()))


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when below it (shorter), shell-quoted."""
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = path
    return shlex.quote(str(shown))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tools.package",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dist", default="dist", help="where to write the package (dist/)")
    p.add_argument(
        "job_args",
        nargs=argparse.REMAINDER,
        help="after --: the job's flags in the printed command (default: a --dev run of "
        "topic orders on 127.0.0.1:9092)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    job_args = tuple(args.job_args[1:] if args.job_args[:1] == ["--"] else args.job_args)
    package = build(Path(args.dist))
    size = package.zip.stat().st_size / 1024
    print(f"{_shown(package.zip)}: {len(package_sources())} files of jobs/, {size:.0f} KiB")
    print(f"{_shown(package.main)}: the main file")
    print(f"{_shown(package.jars_file)}: {len(package.jars)} jars for --jars")
    print(f"{_shown(package.packages_file)}: {','.join(package.packages)} for --packages")
    print(f"{_shown(package.excludes_file)}: what the pyspark wheel ships, for --exclude-packages")
    command = submit_command(package, job_args or DEFAULT_JOB_ARGS)
    print(f"\nrun it here, as printed (any shell, any directory):\n  {command}")
    print(f"\non a cluster whose spark-submit reaches Maven Central:\n  {cluster_command(package)}")
    print(f"\n{CLUSTER_NOTE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
