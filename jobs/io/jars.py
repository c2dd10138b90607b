"""The job's Spark-side jars (Kafka connector, Delta and their dependencies) for a session
started from plain Python; under ``spark-submit`` they come from ``--jars``/``--packages``.

``make jars`` resolves them once with Maven from ``spark-conf/pom.xml`` (profile ``spark-jars``)
into ``.cache/jars/spark`` (``$KAFKA_STREAM_JARS_DIR/spark`` when set), and writes the pom's
SHA-256 beside them when they are complete. This module only reads that folder: jars missing,
half-copied or resolved from another pom are one clear error saying to run ``make jars``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jobs.core.errors import InfrastructureError

__all__ = ["CACHE_ENV", "POM", "jars_dir", "spark_jars"]

REPO = Path(__file__).resolve().parents[2]
POM = REPO / "spark-conf" / "pom.xml"
CACHE_ENV = "KAFKA_STREAM_JARS_DIR"
_STAMP = ".resolved"


def jars_dir() -> Path:
    """Where ``make jars`` puts the Spark-side jars."""
    return Path(os.environ.get(CACHE_ENV, REPO / ".cache" / "jars")).resolve() / "spark"


def spark_jars() -> list[Path]:
    """The jar files, once ``make jars`` resolved them from the current pom."""
    folder = jars_dir()
    stamp = folder / _STAMP
    resolved = stamp.is_file() and stamp.read_text().strip() == _pom_hash()
    jars = sorted(folder.glob("*.jar")) if resolved else []
    if not jars:
        raise InfrastructureError(
            f"no Spark-side jars resolved from the current {POM.name} in {folder}: run "
            f"'make jars' (with the same {CACHE_ENV}, if it is set)"
        )
    return jars


def _pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()
