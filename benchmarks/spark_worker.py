"""One Spark JVM serving benchmark tasks: ``python -m benchmarks.spark_worker --master local[2]``.

Tasks arrive as JSON lines on stdin; each result goes to stdout as one ``BENCH-RESULT {…}``
line (the job itself prints its summary to stdout too). Keeping the JVM between tasks lets
the orchestrator interleave repetitions of different scenarios on a warm JVM. A task's
tables are deleted once it is measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import traceback
from dataclasses import asdict
from pathlib import Path

from benchmarks import ceilings, data, delta_log, job_run, latency, processor_cost
from benchmarks.progress import ProgressRecorder

RESULT_PREFIX = "BENCH-RESULT "


class Worker:
    def __init__(self, master: str, bootstrap: str) -> None:
        from jobs.io.spark_session import build_spark_session

        self.master = master
        self.bootstrap = bootstrap
        self.spark = build_spark_session("kafka-stream:bench", master)
        self.recorder = ProgressRecorder().attach(self.spark)

    def run(self, task: dict) -> dict:
        workdir = Path(task["workdir"])
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            return getattr(self, task["kind"])(task, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def noop(self, task: dict, workdir: Path) -> dict:
        return ceilings.run_noop(self.spark, self.recorder, **self._source(task), workdir=workdir)

    def delta(self, task: dict, workdir: Path) -> dict:
        return ceilings.run_delta_backup(
            self.spark, self.recorder, **self._source(task), workdir=workdir
        )

    def job(self, task: dict, workdir: Path) -> dict:
        argv = job_run.job_argv(
            self.bootstrap,
            task["topic"],
            workdir,
            trigger="available-now",
            batch_records=task["batch_records"],
            master=self.master,
            processor=task.get("processor", job_run.PROCESSOR),
        )
        result = job_run.run_job(argv, self.recorder.reset())
        return {**result, "commits": _commits(workdir)}

    def latency(self, task: dict, workdir: Path) -> dict:
        plan = latency.LatencyPlan(**task["plan"])
        topic = task["topic"]
        trigger = f"processing-time={plan.trigger_seconds:g}s"
        argv = job_run.job_argv(
            self.bootstrap,
            topic,
            workdir,
            trigger=trigger,
            batch_records=None,
            master=self.master,
            extra=("--stop-at-offsets", latency.stop_at(topic, plan)),
        )
        progress = self.recorder.reset()
        sender = latency.PacedProducer(self.bootstrap, topic, plan, progress.started)
        sender.start()
        result = job_run.run_job(argv, progress)
        sender.join(60)
        if sender.error:
            raise sender.error
        return {
            **result,
            "latency": latency.measure(workdir, plan),
            "commits": _commits(workdir),
        }

    def processor_cost(self, task: dict, workdir: Path) -> float | None:
        records = data.bench_records(
            task["records"],
            value_bytes=task["value_bytes"],
            bad_fraction=task["bad_fraction"],
            hours=task["hours"],
            start=data.data_start(task["hours"]),
        )
        return processor_cost.microseconds_per_record(records)

    def _source(self, task: dict) -> dict:
        return {
            "bootstrap": self.bootstrap,
            "topic": task["topic"],
            "batch_records": task["batch_records"],
        }


def _commits(workdir: Path) -> dict[str, list[dict]]:
    return {t: [asdict(c) for c in delta_log.commits(workdir / t)] for t in job_run.TABLES}


def serve(worker: Worker) -> None:
    for line in sys.stdin:
        task = json.loads(line)
        if task["kind"] == "exit":
            break
        try:
            reply = {"ok": True, "result": worker.run(task)}
        except Exception as e:
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": _trace()}
        print(RESULT_PREFIX + json.dumps(reply, default=str), flush=True)


def _trace() -> str:
    return traceback.format_exc()[-4000:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.spark_worker")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--bootstrap", required=True)
    args = p.parse_args(argv)
    worker = Worker(args.master, args.bootstrap)
    print(RESULT_PREFIX + json.dumps({"ok": True, "result": "ready"}), flush=True)
    try:
        serve(worker)
    finally:
        worker.spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
