"""The benchmark's scale knobs: ``BENCH_*`` environment variables, full scale by default."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _ints(name: str, default: str) -> tuple[int, ...]:
    return tuple(int(v) for v in os.environ.get(name, default).split(",") if v.strip())


def _floats(name: str, default: str) -> tuple[float, ...]:
    return tuple(float(v) for v in os.environ.get(name, default).split(",") if v.strip())


@dataclass(frozen=True)
class BenchSettings:
    """Every knob of one benchmark run; ``from_env`` reads the ``BENCH_*`` variables."""

    records: int = 1_000_000
    repeats: int = 3
    partitions: int = 6
    value_bytes: int = 1024
    bad_fraction: float = 0.05
    hours: int = 3
    batch_records: int = 200_000
    scaling_records: int = 300_000
    memory_batches: int = 1000
    memory_batch_records: int = 60
    memory_partitions: int = 1
    memory_bad_every: int = 600
    memory_with_output: bool = False
    latency_rates: tuple[int, ...] = (1000, 5000)
    latency_triggers: tuple[float, ...] = (0.0, 1.0)
    latency_windows: int = 3
    latency_window_seconds: int = 10
    latency_warmup_seconds: int = 8
    peer_processes: int = 2
    workdir: Path = field(default_factory=lambda: Path(".bench").resolve())
    report_path: Path = field(default_factory=lambda: Path("docs/BENCHMARKS.md").resolve())

    @classmethod
    def from_env(cls) -> BenchSettings:
        d = cls()
        return cls(
            records=_int("BENCH_RECORDS", d.records),
            repeats=_int("BENCH_REPEATS", d.repeats),
            partitions=_int("BENCH_PARTITIONS", d.partitions),
            value_bytes=_int("BENCH_VALUE_BYTES", d.value_bytes),
            batch_records=_int("BENCH_BATCH_RECORDS", d.batch_records),
            scaling_records=_int("BENCH_SCALING_RECORDS", d.scaling_records),
            memory_batches=_int("BENCH_MEMORY_BATCHES", d.memory_batches),
            memory_batch_records=_int("BENCH_MEMORY_BATCH_RECORDS", d.memory_batch_records),
            memory_partitions=_int("BENCH_MEMORY_PARTITIONS", d.memory_partitions),
            memory_bad_every=_int("BENCH_MEMORY_BAD_EVERY", d.memory_bad_every),
            memory_with_output=bool(_int("BENCH_MEMORY_OUTPUT", int(d.memory_with_output))),
            latency_rates=_ints("BENCH_LATENCY_RATES", "1000,5000"),
            latency_triggers=_floats("BENCH_LATENCY_TRIGGERS", "0,1"),
            latency_windows=_int("BENCH_LATENCY_WINDOWS", d.latency_windows),
            latency_window_seconds=_int("BENCH_LATENCY_WINDOW_SECONDS", d.latency_window_seconds),
            latency_warmup_seconds=_int("BENCH_LATENCY_WARMUP_SECONDS", d.latency_warmup_seconds),
            peer_processes=_int("BENCH_PEER_PROCESSES", d.peer_processes),
            workdir=Path(os.environ.get("BENCH_WORKDIR", d.workdir)).resolve(),
            report_path=Path(os.environ.get("BENCH_REPORT", d.report_path)).resolve(),
        )

    def as_dict(self) -> dict[str, object]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
