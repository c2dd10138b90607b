"""The machine and software versions a benchmark ran on, for the report."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import psutil

from kafka_utils.jars import cache_dir


def machine() -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    import confluent_kafka

    librdkafka = confluent_kafka.libversion()[0]
    return {
        "python": platform.python_version(),
        "java": _java_version(),
        "pyspark": metadata.version("pyspark"),
        "delta-spark (Python)": metadata.version("delta-spark"),
        "delta-spark (jar)": _jar_version("spark", "delta-spark_"),
        "spark-sql-kafka (jar)": _jar_version("spark", "spark-sql-kafka-0-10_"),
        "Kafka broker (jar)": _jar_version("broker", "kafka_2.13-"),
        "confluent-kafka": f"{confluent_kafka.version()[0]} (librdkafka {librdkafka})",
        "pyarrow": metadata.version("pyarrow"),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stderr or done.stdout).splitlines()
    return lines[0].strip() if lines else "unknown"


def _jar_version(kind: str, prefix: str) -> str:
    for jar in sorted((cache_dir() / kind).glob(f"{prefix}*.jar")):
        return jar.stem
    return "unknown"
