"""Idempotent Delta appends side by side: Delta's ``txnAppId``/``txnVersion`` against commits
tagged in ``userMetadata`` (``jobs.io.delta_commits``), on the bench's records.

``python -m benchmarks.append_cost`` appends the same cached, stamped batch (backup columns)
round after round to one table per way, rotating the order within each round so a noisy moment
hits every way alike, and prints the median seconds and Spark jobs per append and their ratio
to Delta's own way:

- ``txn``: today's append (``txnAppId``/``txnVersion``: Delta rebuilds the table state);
- ``scan``: ``append_once``, which reads the log tail before every append;
- ``once``: ``OnceAppends``, which reads it on its first append to a table only;
- ``plain``: a plain append, idempotent in no way: the floor.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import DataFrame

from benchmarks.batches import Measured, kafka_rows, measure, records, stamped
from jobs.core.columns import BACKUP_COLUMNS
from jobs.io.delta_commits import OnceAppends, append_once

HOURLY = ("date", "hour")
APP = "bench-append"
Append = Callable[[DataFrame, str, int], object]


def txn_append(rows: DataFrame, path: str, batch_id: int) -> None:
    writer = rows.write.format("delta").mode("append").option("txnAppId", APP)
    writer.option("txnVersion", batch_id).partitionBy(*HOURLY).save(path)


def plain_append(rows: DataFrame, path: str, batch_id: int) -> None:
    rows.write.format("delta").mode("append").partitionBy(*HOURLY).save(path)


def scan_append(rows: DataFrame, path: str, batch_id: int) -> None:
    append_once(rows, path, app_id=APP, batch_id=batch_id, partition_by=HOURLY)


def ways() -> dict[str, Append]:
    once = OnceAppends(APP)
    return {
        "txn": txn_append,
        "scan": scan_append,
        "once": lambda rows, path, batch_id: once.append(rows, path, batch_id, HOURLY),
        "plain": plain_append,
    }


def compare(spark, rows: DataFrame, root: Path, rounds: int, label: str) -> dict:
    """Every way once per round on its own table; the first round (table creation) dropped."""
    appends = ways()
    found: dict[str, list[Measured]] = {name: [] for name in appends}
    order = list(appends)
    counter = itertools.count()
    for batch_id in range(rounds + 1):
        for name in order:
            path = str(root / f"{label}-{name}")
            tag = f"{label}-{name}-{next(counter)}"
            taken = measure(spark, tag, functools.partial(appends[name], rows, path, batch_id))
            if batch_id:
                found[name].append(taken)
        order = order[1:] + order[:1]
    return summary(found)


def summary(found: dict[str, list[Measured]]) -> dict:
    medians = {
        name: {
            "seconds": round(statistics.median(m.seconds for m in taken), 3),
            "jobs": statistics.median(m.jobs for m in taken),
            "n": len(taken),
        }
        for name, taken in found.items()
    }
    base = medians["txn"]["seconds"]
    for m in medians.values():
        m["speed_vs_txn"] = round(base / m["seconds"], 2)
    return medians


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.append_cost")
    p.add_argument("--sizes", default="200000,15000", help="records per batch, comma list")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--master", default="local[2]")
    args = p.parse_args(argv)
    from jobs.io.spark_session import build_spark_session

    spark = build_spark_session("kafka-stream:bench-appends", args.master)
    root = Path(tempfile.mkdtemp(prefix="bench-appends-"))
    results = {}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            batch = stamped(kafka_rows(spark, records(size))).select(BACKUP_COLUMNS)
            results[size] = compare(spark, batch, root, args.rounds, f"n{size}")
            batch.unpersist()
            print(json.dumps({"records": size, "appends": results[size]}), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
