"""``make demo``: the whole job on the embedded default, from an empty machine to a summary.

Starts a real Kafka broker (KafkaUtils' embedded backend), creates a 3-partition topic, produces
sample events spread over three hours with about 5 % bad records of six kinds, runs the
streaming job with ``--trigger available-now`` and prints what landed where.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyspark.sql import SparkSession

from jobs import stream
from jobs.demo.report import format_report, table_report
from jobs.demo.sample_data import sample_records
from kafka_utils import KafkaUtils, Message

TOPIC = "demo-events"
PROCESSOR = "jobs.processors.builtin:json_events"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    records = sample_records(args.records, start=start, num_partitions=3)
    with KafkaUtils() as kafka:
        print(
            f"embedded Kafka broker at {kafka.broker} (ready in {kafka.cluster.start_seconds:.1f}s)"
        )
        kafka.create_topics([TOPIC], num_partitions=3)
        kafka.send_messages(
            TOPIC, [Message(r.key, r.value, (), r.partition, r.timestamp_ms) for r in records]
        )
        print(
            f"produced {len(records)} records to {TOPIC}: 3 partitions, 3 hours from {start:%H}:00"
        )
        code, seconds = run_job(kafka.broker, workdir, args.job_args)
        if code != 0:
            return code
    print(f"{len(records)} records through the job in {seconds:.1f}s, Spark start included")
    print_report(workdir)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m jobs.demo", description=__doc__)
    p.add_argument("--records", type=int, default=3000, help="how many sample records (3000)")
    p.add_argument("--workdir", default=".demo", help="where the tables go (.demo/)")
    p.add_argument("job_args", nargs="*", help="more flags for the job, after --")
    return p.parse_args(argv)


def run_job(bootstrap: str, workdir: Path, extra: list[str]) -> tuple[int, float]:
    began = time.monotonic()
    code = stream.main(
        [
            "--bootstrap-servers",
            bootstrap,
            "--topics",
            TOPIC,
            "--processor",
            PROCESSOR,
            "--checkpoint",
            str(workdir / "checkpoint"),
            "--backup-path",
            str(workdir / "backup"),
            "--dlq-path",
            str(workdir / "dlq"),
            "--output-path",
            str(workdir / "output"),
            "--trigger",
            "available-now",
            "--ledger-path",
            str(workdir / "ledger"),
            "--name",
            "demo",
            *extra,
        ]
    )
    return code, time.monotonic() - began


def print_report(workdir: Path) -> None:
    spark = SparkSession.getActiveSession()
    paths = {f"{t}_path": str(workdir / t) for t in ("backup", "output", "dlq")}
    print(format_report(table_report(spark, **paths), **paths))


if __name__ == "__main__":
    sys.exit(main())
