"""The exactly-once peer: confluent-kafka plus delta-rs (the ``deltalake`` package), no Spark.

What a careful user writes for the job's promise without Spark: per batch, the same three
hourly-partitioned Delta tables (backup of every record, output rows, DLQ rows with error
type, message and stack), the same JSON processor with one ``try`` per record (the peer's
``process``), then the batch's end offsets committed to the consumer group.

Exactly once per table, by delta-rs's application transactions: each append carries one
``Transaction(app_id, version)`` per Kafka partition (app id ``<group>-p<partition>``, version
the batch's last offset in it), and writes only the records past the version the table holds.
The group's committed offsets say where to resume; a crash between a table commit and the
offset commit replays records that each table then skips. The versions are read from the
tables once at start; afterwards the process knows them (one consumer per partition share).

``python -m benchmarks.peer_delta --partitions 0,2,4 …`` is one consumer process;
``run_peer_delta`` starts several and times them together, like ``benchmarks.peer``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.peer import PROCESSOR, Batch, dlq_table, output_table, process, run_consumers
from jobs.core.processor import load_processor

HOURLY = ["date", "hour"]
TABLES = {"backup": "offset", "output": "source_offset", "dlq": "offset"}


class OnceTable:
    """One Delta table written by this process: appends each partition's records once."""

    def __init__(self, path: Path, offset_column: str, group: str, partitions: list[int]):
        from deltalake import DeltaTable

        self.uri = str(path)
        self.offset_column = offset_column
        self.app = {p: f"{group}-p{p}" for p in partitions}
        exists = DeltaTable.is_deltatable(self.uri)
        table = DeltaTable(self.uri) if exists else None
        self.versions = {
            p: (table.transaction_version(app) if table else None) for p, app in self.app.items()
        }

    def append(self, rows: pa.Table, ends: dict[int, int]) -> int:
        """Append the rows past each partition's committed version; returns how many.

        A version never goes back: a replayed batch may end before what the table holds.
        """
        from deltalake import CommitProperties, Transaction, write_deltalake

        fresh = rows.filter(self.past_versions(rows))
        if fresh.num_rows:
            ends = {p: max(end, self.versions[p] or -1) for p, end in ends.items()}
            done = [Transaction(self.app[p], end) for p, end in ends.items()]
            write_deltalake(
                self.uri,
                fresh,
                partition_by=HOURLY,
                mode="append",
                commit_properties=CommitProperties(app_transactions=done),
            )
            self.versions.update(ends)
        return fresh.num_rows

    def past_versions(self, rows: pa.Table) -> pa.ChunkedArray:
        source = "partition" if "partition" in rows.column_names else "source_partition"
        keep = pc.is_valid(rows.column(self.offset_column))
        for p, version in self.versions.items():
            if version is not None:
                mine = pc.equal(rows.column(source), p)
                stale = pc.and_(mine, pc.less_equal(rows.column(self.offset_column), version))
                keep = pc.and_(keep, pc.invert(stale))
        return keep


def consume(
    bootstrap: str, topic: str, group: str, partitions: list[int], batch_records: int
) -> Iterator[tuple[Batch, dict[int, int]]]:
    """Batches from the group's committed offsets up to the end offsets seen at start, with
    each partition's last offset; the batch's offsets are committed once it is written."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "max.partition.fetch.bytes": 4 * 1_048_576,
        }
    )
    assigned = [TopicPartition(topic, p) for p in partitions]
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
    starts = {tp.partition: max(tp.offset, 0) for tp in consumer.committed(assigned, 30)}
    consumer.assign([TopicPartition(topic, p, starts[p]) for p in partitions])
    positions = dict(starts)
    try:
        while any(positions[p] < ends[p] for p in partitions):
            batch, last = Batch(), {}
            while len(batch) < batch_records and any(positions[p] < ends[p] for p in partitions):
                for m in consumer.consume(min(10_000, batch_records - len(batch)), 1.0):
                    if m.error() is None and m.offset() < ends[m.partition()]:
                        batch.add(m)
                        positions[m.partition()] = m.offset() + 1
                        last[m.partition()] = m.offset()
            yield batch, last
            commits = [TopicPartition(topic, p, positions[p]) for p in partitions]
            consumer.commit(offsets=commits, asynchronous=False)
    finally:
        consumer.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peer_delta")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--partitions", required=True, help="comma list of partitions to consume")
    p.add_argument("--workdir", required=True)
    p.add_argument("--batch-records", type=int, default=100_000)
    args = p.parse_args(argv)
    root = Path(args.workdir)
    partitions = [int(x) for x in args.partitions.split(",")]
    tables = {n: OnceTable(root / n, c, args.group, partitions) for n, c in TABLES.items()}
    began = time.time()
    totals = {"records": 0, "backed_up": 0, "output": 0, "filtered": 0, "dlq": 0, "batches": 0}
    with load_processor(PROCESSOR).opened() as call:
        batches = consume(args.bootstrap, args.topic, args.group, partitions, args.batch_records)
        for seq, (batch, ends) in enumerate(batches):
            backup = batch.table(seq)
            out = process(batch, backup, call)
            totals["records"] += len(batch)
            totals["backed_up"] += tables["backup"].append(backup, ends)
            totals["output"] += tables["output"].append(output_table(backup, out), ends)
            totals["dlq"] += tables["dlq"].append(dlq_table(backup, out), ends)
            totals["filtered"] += out.filtered
            totals["batches"] += 1
    print(json.dumps({**totals, "began": began, "ended": time.time()}), flush=True)
    return 0


def run_peer_delta(
    bootstrap: str,
    topic: str,
    partitions: int,
    workdir: Path,
    *,
    processes: int,
    batch_records: int,
) -> dict:
    """Start ``processes`` consumers, each with its share of the partitions; time them together."""
    group = f"bench-peer-delta-{uuid.uuid4().hex[:8]}"
    create_tables(workdir)
    args = ["--bootstrap", bootstrap, "--topic", topic, "--group", group]
    args += ["--workdir", str(workdir), "--batch-records", str(max(1, batch_records // processes))]
    return run_consumers(
        "benchmarks.peer_delta",
        lambda i, share: [*args, "--partitions", ",".join(map(str, share))],
        partitions,
        processes,
        counted=("records", "backed_up", "output", "filtered", "dlq"),
    )


def create_tables(workdir: Path) -> None:
    """The three tables, empty, before the consumers start: two processes creating the same
    table at once would race for its first commit."""
    from deltalake import write_deltalake

    from benchmarks.peer import Outcomes

    backup = Batch().table(0)
    empty = {
        "backup": backup,
        "output": output_table(backup, Outcomes()),
        "dlq": dlq_table(backup, Outcomes()),
    }
    for name, table in empty.items():
        write_deltalake(str(workdir / name), table, partition_by=HOURLY, mode="append")


if __name__ == "__main__":
    sys.exit(main())
