"""End-to-end latency at a fixed input rate: produce time to the row being readable.

A producer thread sends ~1 KiB records at ``rate`` records/s, each stamped with its produce
time as the Kafka timestamp, while the job runs with a processing-time trigger. A row is
readable once the Delta commit holding it exists; the commit file's mtime is that moment.
Records of the first ``warmup`` seconds are left out; the rest is cut into equal windows, and
each window gives its own p50/p95/p99.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from benchmarks import delta_log
from benchmarks.data import bench_records, data_start, producer, send
from benchmarks.stats import percentile

PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class LatencyPlan:
    rate: int
    trigger_seconds: float
    warmup_seconds: int
    windows: int
    window_seconds: int
    partitions: int
    value_bytes: int

    @property
    def seconds(self) -> int:
        return self.warmup_seconds + self.windows * self.window_seconds

    @property
    def count(self) -> int:
        return self.rate * self.seconds

    def per_partition(self) -> dict[int, int]:
        base, extra = divmod(self.count, self.partitions)
        return {p: base + (1 if p < extra else 0) for p in range(self.partitions)}


class PacedProducer(threading.Thread):
    """Sends the plan's records at its rate once ``go`` is set; timestamps are send times."""

    def __init__(self, bootstrap: str, topic: str, plan: LatencyPlan, go: threading.Event):
        super().__init__(daemon=True, name="paced-producer")
        self.topic, self.plan, self.go = topic, plan, go
        self.values = [
            (r.key, r.value)
            for r in bench_records(
                plan.count,
                value_bytes=plan.value_bytes,
                bad_fraction=0.05,
                hours=1,
                start=data_start(1),
            )
        ]
        self.producer = producer(bootstrap, **{"linger.ms": 5, "batch.size": 65536})
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.go.wait(300)
            self.send_all()
        except BaseException as e:
            self.error = e

    def send_all(self) -> None:
        began, sent, n = time.monotonic(), 0, len(self.values)
        while sent < n:
            due = min(n, int((time.monotonic() - began) * self.plan.rate) + 1)
            now_ms = int(time.time() * 1000)
            for i in range(sent, due):
                key, value = self.values[i]
                send(self.producer, self.topic, key, value, i % self.plan.partitions, now_ms)
            sent = due
            self.producer.poll(0)
            time.sleep(0.002)
        self.producer.flush(60)


def stop_at(topic: str, plan: LatencyPlan) -> str:
    return json.dumps({topic: {str(p): n for p, n in plan.per_partition().items()}})


def measure(workdir: Path, plan: LatencyPlan) -> dict:
    """Per table and window, the percentiles of (readable - produced), in seconds."""
    backup = _table(workdir / "backup", ["partition", "offset", "timestamp", "batch_id"])
    produced = _epoch_seconds(backup.column("timestamp"))
    backup = backup.append_column("produced", produced)
    output = _table(workdir / "output", ["source_partition", "source_offset"])
    output = output.join(
        backup,
        keys=["source_partition", "source_offset"],
        right_keys=["partition", "offset"],
        join_type="inner",
    )
    first = pc.min(produced).as_py()
    result = {}
    for name, rows in (("backup", backup), ("output", output)):
        readable = delta_log.by_batch(workdir / name)
        result[name] = _windows(rows, readable, first, plan)
    return result


def _table(path: Path, columns: list[str]) -> pa.Table:
    dataset = ds.dataset(path, format="parquet", ignore_prefixes=["_", "."])
    return dataset.to_table(columns=columns)


def _epoch_seconds(timestamps: pa.ChunkedArray) -> pa.ChunkedArray:
    micros = timestamps.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return pc.divide(micros.cast(pa.float64()), 1e6)


def _windows(
    rows: pa.Table, readable: dict[int, delta_log.Commit], first: float, plan: LatencyPlan
) -> list[dict]:
    batches = rows.column("batch_id").to_pylist()
    produced = rows.column("produced").to_pylist()
    windows: list[list[float]] = [[] for _ in range(plan.windows)]
    for batch_id, at in zip(batches, produced, strict=True):
        index = int((at - first - plan.warmup_seconds) // plan.window_seconds)
        if 0 <= index < plan.windows and batch_id in readable:
            windows[index].append(readable[batch_id].readable_s - at)
    return [_percentiles(sorted(w)) for w in windows]


def _percentiles(latencies: list[float]) -> dict:
    found = {f"p{q}": round(percentile(latencies, q), 3) for q in PERCENTILES}
    return {**found, "records": len(latencies), "max": round(max(latencies, default=0.0), 3)}
