"""The peer: a hand-written, batched confluent-kafka consumer doing the job's work with pyarrow.

Per batch it writes an hourly-partitioned Parquet backup of every record, runs the same JSON
processor on each record with one ``try`` per record, writes the output rows and the failed
records (original bytes, error type, message and stack) as hourly Parquet, then commits the
batch's end offsets to its consumer group. Files are written to a staging folder and renamed
into place, so a reader never sees half a file.

Guarantees: at least once, not exactly once. A crash after some files are renamed and before
the offset commit replays the batch: its rows appear twice in backup, output and DLQ, and a
reader may meanwhile see a batch whose backup landed but whose output did not. There is no
ledger and no table schema enforcement.

``python -m benchmarks.peer --partitions 0,2,4 …`` is one consumer process; ``run_peer``
starts several with a static share of the partitions each and times them together.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from jobs.core.failures import NullValue, RecordTooLarge, error_message, error_stack, error_type
from jobs.core.processor import load_processor
from jobs.processor import Record

PROCESSOR = "jobs.processors.builtin:JsonEvents"
MAX_RECORD_BYTES = 1_048_576
TIMESTAMP = pa.timestamp("us", tz="UTC")
HEADERS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
OUTPUT_FIELDS = (
    ("event_id", pa.string()),
    ("user_id", pa.int64()),
    ("amount", pa.float64()),
    ("kind", pa.string()),
)


@dataclass
class Batch:
    """One batch's columns, filled in a single pass over the consumed messages."""

    topic: list = field(default_factory=list)
    partition: list = field(default_factory=list)
    offset: list = field(default_factory=list)
    timestamp: list = field(default_factory=list)
    timestamp_type: list = field(default_factory=list)
    key: list = field(default_factory=list)
    value: list = field(default_factory=list)
    headers: list = field(default_factory=list)

    def add(self, m) -> None:
        kind, ms = m.timestamp()
        self.topic.append(m.topic())
        self.partition.append(m.partition())
        self.offset.append(m.offset())
        self.timestamp.append(ms * 1000)
        self.timestamp_type.append(kind - 1)
        self.key.append(m.key())
        self.value.append(m.value())
        self.headers.append(m.headers())

    def __len__(self) -> int:
        return len(self.offset)

    def table(self, batch_id: int) -> pa.Table:
        ts = pa.array(self.timestamp, pa.int64()).cast(TIMESTAMP)
        n = len(self)
        return pa.table(
            {
                "topic": pa.array(self.topic, pa.string()),
                "partition": pa.array(self.partition, pa.int32()),
                "offset": pa.array(self.offset, pa.int64()),
                "timestamp": ts,
                "timestamp_type": pa.array(self.timestamp_type, pa.int32()),
                "key": pa.array(self.key, pa.binary()),
                "value": pa.array(self.value, pa.binary()),
                "headers": self.header_array(),
                "batch_id": pa.repeat(pa.scalar(batch_id, pa.int64()), n),
                "ingested_at": pa.repeat(pa.scalar(datetime.now(UTC), TIMESTAMP), n),
                "date": pc.strftime(ts, "%Y-%m-%d"),
                "hour": pc.strftime(ts, "%H"),
            }
        )

    def header_array(self) -> pa.Array:
        if not any(self.headers):
            return pa.nulls(len(self), HEADERS)
        return pa.array([_headers(h) for h in self.headers], HEADERS)


def _headers(headers: list | None) -> list[dict] | None:
    return [{"key": k, "value": v} for k, v in headers] if headers else None


@dataclass
class Outcomes:
    ok_rows: list[int] = field(default_factory=list)
    ok_index: list[int] = field(default_factory=list)
    columns: dict[str, list] = field(default_factory=lambda: {n: [] for n, _ in OUTPUT_FIELDS})
    failed_rows: list[int] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    filtered: int = 0


def process(batch: Batch, backup: pa.Table, call) -> Outcomes:
    """The processor on every record, one ``try`` each, as the job does in its executors."""
    out = Outcomes()
    topic, partition, offset = batch.topic, batch.partition, batch.offset
    timestamps = backup.column("timestamp").to_pylist()
    for i, value in enumerate(batch.value):
        try:
            if value is None:
                raise NullValue("the value is null (a tombstone)")
            key = batch.key[i]
            size = len(key or b"") + len(value)
            if size > MAX_RECORD_BYTES:
                raise RecordTooLarge(f"key+value is {size} bytes, over {MAX_RECORD_BYTES}")
            headers = tuple(batch.headers[i] or ())
            record = Record(key, value, topic[i], partition[i], offset[i], timestamps[i], headers)
            result = call(record)
        except Exception as e:
            out.failed_rows.append(i)
            out.errors.append((error_type(e), error_message(e), error_stack(e)))
            continue
        rows = [result] if isinstance(result, dict) else (result or [])
        if not rows:
            out.filtered += 1
        for n, row in enumerate(rows):
            out.ok_rows.append(i)
            out.ok_index.append(n)
            for name, values in out.columns.items():
                values.append(row[name])
    return out


def output_table(backup: pa.Table, out: Outcomes) -> pa.Table:
    rows = pa.array(out.ok_rows, pa.int32())
    columns = {name: pa.array(out.columns[name], t) for name, t in OUTPUT_FIELDS}
    source = {"topic": "source_topic", "partition": "source_partition", "offset": "source_offset"}
    columns |= {alias: backup.column(name).take(rows) for name, alias in source.items()}
    columns["source_index"] = pa.array(out.ok_index, pa.int32())
    columns |= {name: backup.column(name).take(rows) for name in ("date", "hour")}
    return pa.table(columns)


def dlq_table(backup: pa.Table, out: Outcomes) -> pa.Table:
    rows = pa.array(out.failed_rows, pa.int32())
    kept = ["topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value"]
    columns = {name: backup.column(name).take(rows) for name in [*kept, "headers"]}
    for i, name in enumerate(("error_type", "error_message", "error_stack")):
        columns[name] = pa.array([e[i] for e in out.errors], pa.string())
    n = len(out.failed_rows)
    columns["processor"] = pa.repeat(pa.scalar(PROCESSOR, pa.string()), n)
    columns["failed_at"] = pa.repeat(pa.scalar(datetime.now(UTC), TIMESTAMP), n)
    columns |= {name: backup.column(name).take(rows) for name in ("batch_id", "date", "hour")}
    return pa.table(columns)


def write_hourly(table: pa.Table, root: Path, name: str) -> None:
    """Hive-partitioned Parquet (date=…/hour=…), staged then renamed into place."""
    if table.num_rows == 0:
        return
    staging = root / "_staging" / name
    ds.write_dataset(
        table,
        staging,
        format="parquet",
        partitioning=["date", "hour"],
        partitioning_flavor="hive",
        basename_template=f"{name}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
    )
    for path in staging.rglob("*.parquet"):
        final = root / path.relative_to(staging)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
    shutil.rmtree(staging)


def consume(
    bootstrap: str, topic: str, partitions: list[int], batch_records: int
) -> Iterator[Batch]:
    """Batches of at most ``batch_records`` up to the end offsets seen at start."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-peer-{topic}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "max.partition.fetch.bytes": 4 * 1_048_576,
            "enable.partition.eof": False,
        }
    )
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    positions = {p: 0 for p in partitions}
    try:
        while any(positions[p] < ends[p] for p in partitions):
            batch = Batch()
            while len(batch) < batch_records and any(positions[p] < ends[p] for p in partitions):
                for m in consumer.consume(min(10_000, batch_records - len(batch)), 1.0):
                    if m.error() is None and m.offset() < ends[m.partition()]:
                        batch.add(m)
                        positions[m.partition()] = m.offset() + 1
            yield batch
            commits = [TopicPartition(topic, p, positions[p]) for p in partitions]
            consumer.commit(offsets=commits, asynchronous=False)
    finally:
        consumer.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peer")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--partitions", required=True, help="comma list of partitions to consume")
    p.add_argument("--workdir", required=True)
    p.add_argument("--batch-records", type=int, default=100_000)
    p.add_argument("--name", default="peer")
    args = p.parse_args(argv)
    root = Path(args.workdir)
    partitions = [int(x) for x in args.partitions.split(",")]
    began = time.time()
    totals = {"records": 0, "output": 0, "filtered": 0, "dlq": 0, "batches": 0}
    with load_processor(PROCESSOR).opened() as call:
        for seq, batch in enumerate(
            consume(args.bootstrap, args.topic, partitions, args.batch_records)
        ):
            backup = batch.table(seq)
            out = process(batch, backup, call)
            name = f"{args.name}-{seq:06d}"
            write_hourly(backup, root / "backup", name)
            write_hourly(output_table(backup, out), root / "output", name)
            write_hourly(dlq_table(backup, out), root / "dlq", name)
            totals["records"] += len(batch)
            totals["output"] += len(out.ok_rows)
            totals["filtered"] += out.filtered
            totals["dlq"] += len(out.failed_rows)
            totals["batches"] += 1
    print(json.dumps({**totals, "began": began, "ended": time.time()}), flush=True)
    return 0


def run_peer(
    bootstrap: str,
    topic: str,
    partitions: int,
    workdir: Path,
    *,
    processes: int,
    batch_records: int,
) -> dict:
    """Start ``processes`` consumers, each with its share of the partitions; time them together."""
    args = ["--bootstrap", bootstrap, "--topic", topic, "--workdir", str(workdir)]
    args += ["--batch-records", str(max(1, batch_records // processes))]
    return run_consumers(
        "benchmarks.peer",
        lambda i, share: [*args, "--partitions", ",".join(map(str, share)), "--name", f"peer{i}"],
        partitions,
        processes,
        counted=("records", "output", "filtered", "dlq"),
    )


def run_consumers(
    module: str,
    argv: Callable[[int, list[int]], list[str]],
    partitions: int,
    processes: int,
    *,
    counted: tuple[str, ...],
) -> dict:
    """``python -m module *argv(i, share)`` per process (a static share of the partitions
    each), timed together from the first start to the last end; their ``counted`` totals."""
    shares = [list(range(partitions))[i::processes] for i in range(processes)]
    children = [
        subprocess.Popen(
            [sys.executable, "-m", module, *argv(i, share)], stdout=subprocess.PIPE, text=True
        )
        for i, share in enumerate(shares)
        if share
    ]
    reports = []
    for child in children:
        stdout, _ = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"a consumer of {module} exited with code {child.returncode}")
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    seconds = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    summed = {k: sum(r[k] for r in reports) for k in counted}
    return {**summed, "seconds": seconds, "batches": sum(r["batches"] for r in reports)}


if __name__ == "__main__":
    sys.exit(main())
