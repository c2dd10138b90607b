"""``make bench``: every benchmark in one run, on one embedded broker and one data set.

Order: produce the data once; warm both Spark JVMs; interleaved rounds of the throughput and
scaling scenarios (so a noisy moment hits every scenario of a round alike); latency at fixed
rates; the long memory run; then ``docs/BENCHMARKS.md`` with its plot. Scale with the
``BENCH_*`` variables (``benchmarks/settings.py``), e.g. ``BENCH_RECORDS=50000``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import machine, memory, peer, peer_delta, profile, report
from benchmarks.data import Dataset, bench_records, create_and_fill, data_start, sparse_bad
from benchmarks.job_run import PYTHON_PROCESSOR
from benchmarks.latency import LatencyPlan
from benchmarks.settings import BenchSettings
from benchmarks.worker_client import SparkWorker

WARMUP_RECORDS = 20_000


class Bench:
    def __init__(self, settings: BenchSettings) -> None:
        self.s = settings
        self.results: dict = {"phases": {}}
        self.began = time.monotonic()
        self.runs = 0

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.began
        print(f"[bench {elapsed:7.1f}s] {message}", flush=True)

    def phase(self, name: str, began: float) -> None:
        """Record a phase's duration and save everything found so far."""
        self.results["phases"][name] = round(time.monotonic() - began, 1)
        self.save()

    def save(self) -> Path:
        path = self.s.workdir / "results.json"
        path.write_text(json.dumps(self.results, indent=1, default=str))
        return path

    def workdir(self, name: str) -> Path:
        self.runs += 1
        return self.s.workdir / "runs" / f"{self.runs:03d}-{name}"

    # -- data ------------------------------------------------------------------------------

    def produce(self, kafka) -> dict[str, Dataset]:
        began = time.monotonic()
        s = self.s
        start = data_start(s.hours)
        records = bench_records(
            s.records,
            value_bytes=s.value_bytes,
            bad_fraction=s.bad_fraction,
            hours=s.hours,
            start=start,
        )
        self.log(f"generated {len(records)} records in {time.monotonic() - began:.1f}s")
        scaled = min(s.scaling_records, s.records)
        memory_records = min(s.records, s.memory_batches * s.memory_batch_records * 11 // 10)
        wanted = {
            "main": (records, s.partitions),
            "warmup": (records[:WARMUP_RECORDS], s.partitions),
            "scale_1p": (records[:scaled], 1),
            "memory": (
                sparse_bad(records, s.memory_bad_every)[:memory_records],
                s.memory_partitions,
            ),
        }
        if scaled < s.records:
            wanted["scale_6p"] = (records[:scaled], s.partitions)
        sets = {}
        for name, (rows, partitions) in wanted.items():
            topic = f"bench-{name.replace('_', '-')}"
            sets[name] = create_and_fill(kafka, topic, rows, partitions, start)
            self.log(
                f"produced {len(rows)} records to {topic} in {sets[name].produce_seconds:.1f}s"
            )
        sets.setdefault("scale_6p", sets["main"])
        self.results["data"] = {k: asdict(v) for k, v in sets.items()}
        self.phase("data", began)
        return sets

    # -- throughput and scaling ------------------------------------------------------------

    def spark_run(
        self, worker: SparkWorker, kind: str, data: Dataset, name: str = "", **extra
    ) -> dict:
        """One Spark scenario (``noop``, ``delta`` or ``job``) over all of ``data``."""
        task = {"kind": kind, "topic": data.topic, "workdir": self.workdir(name or kind), **extra}
        result = worker.run(task | {"batch_records": batch_limit(data, self.s.batch_records)})
        self.log(f"{name or kind}: {_rate(result):,.0f} records/s ({result['batches']} batches)")
        return result

    def job(self, worker: SparkWorker, data: Dataset, name: str) -> dict:
        return self.spark_run(worker, "job", data, name)

    def peer(self, kafka, data: Dataset) -> dict:
        """The at-least-once peer (confluent-kafka + pyarrow)."""
        return self.consumers(kafka, data, "peer", "peer", peer.run_peer)

    def peer_delta(self, kafka, data: Dataset) -> dict:
        """The exactly-once peer (confluent-kafka + delta-rs), same processes and batches."""
        return self.consumers(
            kafka, data, "peer (delta-rs)", "peer-delta", peer_delta.run_peer_delta
        )

    def consumers(self, kafka, data: Dataset, name: str, folder: str, run) -> dict:
        """A peer's consumer processes over all of ``data``; ``run`` is its ``run_*``."""
        workdir = self.workdir(folder)
        try:
            result = run(
                kafka.broker,
                data.topic,
                data.partitions,
                workdir,
                processes=self.s.peer_processes,
                batch_records=self.s.batch_records,
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.log(f"{name}: {_rate(result):,.0f} records/s ({result['batches']} batches)")
        return result

    def processor_cost(self, worker: SparkWorker) -> float | None:
        s = self.s
        task = {
            "kind": "processor_cost",
            "records": WARMUP_RECORDS,
            "workdir": self.workdir("cost"),
        }
        task |= {"value_bytes": s.value_bytes, "bad_fraction": s.bad_fraction, "hours": s.hours}
        cost = worker.run(task)
        self.log(f"processor alone: {cost} µs per record")
        return cost

    def rounds(self, kafka, sets: dict[str, Dataset], local2: SparkWorker, local1: SparkWorker):
        began = time.monotonic()
        scenarios = ("noop", "delta_backup", "job", "job_python", "peer", "peer_delta")
        self.results["throughput"] = {k: [] for k in scenarios}
        self.results["scaling"] = {k: [] for k in ("local2_6p", "local1_6p", "local2_1p")}
        job_runs = []
        for round_no in range(1, self.s.repeats + 1):
            self.log(f"round {round_no} of {self.s.repeats}")
            job_runs.append(self.one_round(kafka, sets, local2, local1))
        profiled = self.throughput_profile(job_runs, self.results["throughput"])
        self.results["profile"] = {"throughput": profiled}
        self.phase("throughput and scaling", began)

    def one_round(
        self, kafka, sets: dict[str, Dataset], local2: SparkWorker, local1: SparkWorker
    ) -> dict:
        """Every throughput and scaling scenario once; returns the full job run (profile)."""
        main, throughput, scaling = (
            sets["main"],
            self.results["throughput"],
            self.results["scaling"],
        )
        throughput["noop"].append(_summary(self.spark_run(local2, "noop", main)))
        throughput["delta_backup"].append(_summary(self.spark_run(local2, "delta", main)))
        run = self.job(local2, main, "job")
        throughput["job"].append(_summary(run))
        python = self.spark_run(local2, "job", main, "job-python", processor=PYTHON_PROCESSOR)
        throughput["job_python"].append(_summary(python))
        throughput["peer"].append(_summary(self.peer(kafka, main)))
        throughput["peer_delta"].append(_summary(self.peer_delta(kafka, main)))
        six = sets["scale_6p"]
        same = run if six is main else self.job(local2, six, "job-local2-6p")
        scaling["local2_6p"].append(_summary(same))
        scaling["local1_6p"].append(_summary(self.job(local1, six, "job-local1-6p")))
        scaling["local2_1p"].append(_summary(self.job(local2, sets["scale_1p"], "job-local2-1p")))
        return run

    def throughput_profile(self, runs: list[dict], throughput: dict[str, list]) -> dict:
        """The mean batch of the median job run; the read estimated from the noop ceiling."""
        median_run = sorted(runs, key=_rate)[len(runs) // 2]
        noop = sorted(throughput["noop"], key=lambda r: r["rate"])[len(runs) // 2]
        read_per_batch = noop["seconds"] / max(noop["batches"], 1)
        return self.profile_of(median_run, read_per_batch)

    def profile_of(self, run: dict, read_per_batch: float | None = None) -> dict:
        """The mean batch of a job run. Its processor (the built-in, Spark SQL) has no Python
        share to split off."""
        return profile.mean_profile(profile.batch_profiles(run, read_per_batch))

    # -- latency ---------------------------------------------------------------------------

    def latency(self, kafka, worker: SparkWorker) -> None:
        began = time.monotonic()
        s, found = self.s, []
        for rate in s.latency_rates:
            for trigger in s.latency_triggers:
                topic = f"bench-latency-{rate}-{trigger:g}s"
                kafka.create_topics([topic], num_partitions=s.partitions)
                plan = LatencyPlan(
                    rate,
                    trigger,
                    s.latency_warmup_seconds,
                    s.latency_windows,
                    s.latency_window_seconds,
                    s.partitions,
                    s.value_bytes,
                )
                run = worker.run(
                    {
                        "kind": "latency",
                        "topic": topic,
                        "plan": asdict(plan),
                        "workdir": self.workdir(f"latency-{rate}-{trigger:g}s"),
                    }
                )
                found.append(
                    {
                        "rate": rate,
                        "trigger_seconds": trigger,
                        "batches": run["batches"],
                        "records": run["records"],
                        "latency": run["latency"],
                        "profile": self.profile_of(run),
                    }
                )
                p95 = [w["p95"] for w in run["latency"]["output"]]
                self.log(f"latency {rate}/s trigger {trigger:g}s: output p95 per window {p95}")
        self.results["latency"] = found
        self.phase("latency", began)

    # -- memory ----------------------------------------------------------------------------

    def memory(self, kafka, data: Dataset) -> None:
        began = time.monotonic()
        workdir = self.workdir("memory")
        self.log(
            f"memory: {self.s.memory_batches} batches of {self.s.memory_batch_records} records"
        )
        try:
            result = memory.run_memory(
                kafka.broker,
                data.topic,
                workdir,
                batches=self.s.memory_batches,
                batch_records=self.s.memory_batch_records,
                with_output=self.s.memory_with_output,
                log_path=self.s.workdir / "memory-run.log",
                stop_at=json.dumps({data.topic: data.per_partition}),
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.results["memory"] = {**result, "partitions": data.partitions}
        total = result["analysis"]["total"]
        self.log(f"memory: {result['batches']} batches, total RSS change {total['change_pct']}%")
        self.phase("memory", began)

    # -- all -------------------------------------------------------------------------------

    def run(self) -> dict:
        from kafka_utils import KafkaUtils

        self.results["meta"] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command(),
            "settings": self.s.as_dict(),
            "machine": machine.machine(),
            "versions": machine.versions(),
        }
        with KafkaUtils() as kafka:
            sets = self.produce(kafka)
            began = time.monotonic()
            logs = self.s.workdir
            with (
                SparkWorker("local[2]", kafka.broker, logs / "worker-local2.log") as local2,
                SparkWorker("local[1]", kafka.broker, logs / "worker-local1.log") as local1,
            ):
                for worker in (local2, local1):
                    self.job(worker, sets["warmup"], f"warmup-{worker.master}")
                self.results["processor_us_per_record"] = self.processor_cost(local2)
                self.phase("Spark start and warm-up", began)
                self.rounds(kafka, sets, local2, local1)
                self.latency(kafka, local2)
            self.memory(kafka, sets["memory"])
        self.results["meta"]["load_average_end"] = machine.machine()["load_average"]
        self.results["meta"]["seconds"] = round(time.monotonic() - self.began, 1)
        return self.results


def batch_limit(data: Dataset, batch_records: int) -> int:
    """``maxOffsetsPerTrigger`` giving ``ceil(records / batch_records)`` full batches.

    Spark splits the limit over partitions in proportion to their lag and rounds down, so the
    plain figure would leave a few records per partition for one extra, nearly empty batch.
    """
    batches = -(-data.records // batch_records)
    per_partition = -(-max(data.per_partition.values()) // batches)
    return (per_partition + 1) * data.partitions


def _rate(result: dict) -> float:
    return result["records"] / result["seconds"] if result["seconds"] else 0.0


def _summary(result: dict) -> dict:
    keep = ("records", "seconds", "batches", "output", "dlq")
    found = {k: result[k] for k in keep if k in result}
    if "job_batches" in result:
        found["output"] = sum(b["output"] for b in result["job_batches"])
        found["dlq"] = sum(b["dlq"] for b in result["job_batches"])
    return {**found, "rate": _rate(result)}


def command() -> str:
    knobs = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_"))
    return f"{knobs} make bench".strip()


def main() -> int:
    settings = BenchSettings.from_env()
    shutil.rmtree(settings.workdir, ignore_errors=True)
    settings.workdir.mkdir(parents=True)
    bench = Bench(settings)
    bench.log(f"settings {json.dumps(settings.as_dict())}")
    results = bench.run()
    raw = bench.save()
    written = report.write(results, settings.report_path)
    bench.log(f"wrote {', '.join(map(str, written))} (raw results in {raw})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
