"""The processor step side by side: the Python JSON processor (``mapInArrow``) against its SQL
twin (``jobs.processors.sql_json``), on the same cached batch of the bench's records.

``python -m benchmarks.processor_step`` runs each way in turn, round after round (order
rotated), as the pipeline's step 3 does it: the processed batch cached and counted per
partition (``count_batch``), then released. Prints the median seconds and the ratio,
and checks that both ways counted the same.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys

from pyspark import StorageLevel

from benchmarks.batches import kafka_rows, measure, records, stamped
from jobs.io.schemas import processed_schema
from jobs.pipeline.apply import ProcessorRun
from jobs.pipeline.apply_sql import processed_rows
from jobs.pipeline.batch_counts import count_batch
from jobs.processors.sql_json import json_events

PYTHON = "jobs.processors.builtin:JsonEvents"
SQL = "jobs.processors.sql_json:json_events"
MAX_RECORD_BYTES = 1_048_576


def ways(rows, schema) -> dict:
    run = ProcessorRun(PYTHON, schema, MAX_RECORD_BYTES)
    return {
        "python": lambda: rows.mapInArrow(run, processed_schema(schema)),
        "sql": lambda: processed_rows(
            rows, json_events, schema, processor_path=SQL, max_record_bytes=MAX_RECORD_BYTES
        ),
    }


def step(make) -> list:
    processed = make().persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return count_batch(processed)
    finally:
        processed.unpersist()


def _into(result: list, make) -> None:
    result.append(step(make))


def compare(spark, rows, rounds: int) -> dict:
    schema = spark.createDataFrame([], json_events.output_schema).schema
    found: dict[str, list[float]] = {"python": [], "sql": []}
    counts: dict[str, object] = {}
    order = list(found)
    for n in range(rounds + 1):
        for name in order:
            result: list = []
            make = ways(rows, schema)[name]
            taken = measure(spark, f"{name}-{n}", functools.partial(_into, result, make))
            counts[name] = result[0]
            if n:
                found[name].append(taken.seconds)
        order.reverse()
    medians = {name: round(statistics.median(s), 3) for name, s in found.items()}
    return {
        "seconds": medians,
        "sql_speedup": round(medians["python"] / medians["sql"], 2),
        "same_counts": counts["python"] == counts["sql"],
        "rounds": rounds,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.processor_step")
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--master", default="local[2]")
    args = p.parse_args(argv)
    from jobs.io.spark_session import build_spark_session

    spark = build_spark_session("kafka-stream:bench-processor", args.master)
    try:
        rows = stamped(kafka_rows(spark, records(args.records)))
        result = compare(spark, rows, args.rounds)
        print(json.dumps({"records": args.records, **result}), flush=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
