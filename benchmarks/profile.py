"""Where the time of one micro-batch goes, from measurements taken without touching the job.

Per batch: Spark's progress (trigger total, ``addBatch`` = the job's ``foreachBatch``), the
job's step laps (``process`` = the processor and the counts), and for each Delta append the
wall-clock interval of ``DataFrameWriter.save`` split at the moment its last data file was
written (from the table's log): before it, reading the input and writing Parquet; after it,
Delta's commit (log write and, every tenth version, a checkpoint).
"""

from __future__ import annotations

from pathlib import Path
from statistics import fmean

STEPS = (
    "kafka_read",
    "backup_files",
    "backup_commit",
    "processor",
    "processor_python",
    "processor_exchange",
    "output_files",
    "output_commit",
    "dlq_files",
    "dlq_commit",
    "other_in_batch",
    "trigger_overhead",
)
SUBSTEPS = ("processor_python", "processor_exchange")
PARTS = tuple(s for s in STEPS if s not in SUBSTEPS)
LABELS = {
    "kafka_read": "Kafka read (noop ceiling, same batch size)",
    "backup_files": "backup: stamp + Parquet files",
    "backup_commit": "backup: Delta commit",
    "processor": "processor step (`mapInArrow`, cache, per-partition counts)",
    "processor_python": "  of which: Python per-record work (standalone, est.)",
    "processor_exchange": "  of which: Arrow exchange with Python workers, cache, counts",
    "output_files": "output: Parquet files",
    "output_commit": "output: Delta commit",
    "dlq_files": "DLQ: Parquet files",
    "dlq_commit": "DLQ: Delta commit",
    "other_in_batch": "other driver work in foreachBatch",
    "trigger_overhead": "Spark trigger: offsets, planning, checkpoint",
}


def batch_profiles(run: dict, read_per_batch: float | None = None) -> list[dict[str, float]]:
    """One breakdown per batch of a job run (as returned by ``job_run.run_job``)."""
    saves = _saves_by_batch(run)
    profiles = []
    for progress, line in zip(run["progress"], run["job_batches"], strict=False):
        durations = progress["duration_ms"]
        trigger = durations["triggerExecution"] / 1000
        add_batch = durations.get("addBatch", 0) / 1000
        p = dict.fromkeys(PARTS, 0.0)
        p["processor"] = line["steps"].get("process", 0.0)
        for table, (files, commit) in saves.get(line["batch_id"], {}).items():
            p[f"{table}_files"], p[f"{table}_commit"] = files, commit
        if read_per_batch is None:
            del p["kafka_read"]
        else:
            p["kafka_read"] = min(read_per_batch, p["backup_files"])
            p["backup_files"] -= p["kafka_read"]
        measured = sum(v for k, v in p.items() if k not in ("other_in_batch", "trigger_overhead"))
        p["other_in_batch"] = max(0.0, add_batch - measured)
        p["trigger_overhead"] = max(0.0, trigger - add_batch)
        p["total"] = trigger
        p["records"] = line["read"]
        profiles.append(p)
    return profiles


def mean_profile(profiles: list[dict[str, float]]) -> dict[str, float]:
    """The mean batch, leaving out the first (it creates the tables) when there are 3 or more;
    steps that were not measured stay out."""
    steady = profiles[1:] if len(profiles) >= 3 else profiles
    if not steady:
        return {}
    return {key: fmean(p[key] for p in steady) for key in steady[0]}


def _saves_by_batch(run: dict) -> dict[int, dict[str, tuple[float, float]]]:
    """batch id → table → (seconds until the last data file, seconds of the commit)."""
    found: dict[int, dict[str, tuple[float, float]]] = {}
    for table, commits in run["commits"].items():
        calls = [s for s in run["saves"] if Path(s["path"]).name == table]
        for commit in commits:
            call = _call_for(commit, calls)
            if call is None or commit["batch_id"] is None:
                continue
            written = (commit["files_written_ms"] or commit["started_ms"]) / 1000
            written = min(max(written, call["began"]), call["ended"])
            found.setdefault(commit["batch_id"], {})[table] = (
                written - call["began"],
                call["ended"] - written,
            )
    return found


def _call_for(commit: dict, calls: list[dict]) -> dict | None:
    readable = commit["readable_s"]
    return next((c for c in calls if c["began"] <= readable <= c["ended"] + 0.05), None)
