"""The JVM jars of KafkaUtils, and ``python -m kafka_utils.jars``, which fills their cache.

``jars("spark")`` lists the Kafka connector and Delta jars for ``spark.jars``;
``classpath("broker")`` is the embedded broker's classpath. Both resolve with Maven on first use
(see :mod:`kafka_utils.jar_cache`). The command resolves both kinds ahead of time (``make setup``
runs it) and prints where they are. The package itself never imports this module, so that
``python -m`` runs it without a warning.
"""

from __future__ import annotations

import sys

from kafka_utils.errors import JarsUnavailableError
from kafka_utils.jar_cache import (
    KINDS,
    JarKind,
    cache_dir,
    classpath,
    coordinates,
    is_resolved,
    jars,
    resolve,
)

__all__ = [
    "KINDS",
    "JarKind",
    "cache_dir",
    "classpath",
    "coordinates",
    "is_resolved",
    "jars",
    "main",
    "resolve",
]


def main() -> int:
    for kind in KINDS:
        try:
            found = jars(kind)
        except JarsUnavailableError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        size = sum(j.stat().st_size for j in found) / 2**20
        print(f"{kind} jars: {len(found)} files, {size:.0f} MiB in {cache_dir() / kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
