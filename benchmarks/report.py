"""``docs/BENCHMARKS.md`` and its plot, from one run's results (``Bench.run``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks import plot
from benchmarks.profile import LABELS, PARTS, STEPS
from benchmarks.settings import BenchSettings
from benchmarks.stats import spread

NAMES = {
    "noop": "Ceiling: Kafka source → `noop` sink",
    "delta_backup": "Ceiling: Kafka source → backup-only Delta table",
    "job": "This job: backup + JSON processor (built-in, Spark SQL) + output + DLQ",
    "job_python": "This job, the same processor in Python (`JsonEvents`)",
    "peer": "Peer: confluent-kafka + pyarrow consumer",
    "peer_delta": "Exactly-once peer: confluent-kafka + delta-rs",
}
SCALING = {
    "local2_6p": "local[2], 6 partitions",
    "local1_6p": "local[1], 6 partitions",
    "local2_1p": "local[2], 1 partition",
}


def write(results: dict, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_name("benchmarks.png")
    plot.draw(results, png)
    path.write_text(render(results, png.name))
    return [path, png]


def render(r: dict, png_name: str) -> str:
    sections = [
        header(r),
        targets(r),
        f"![Throughput, latency and memory]({png_name})\n",
        throughput(r),
        latency(r),
        memory(r),
        scaling(r),
        profiles(r),
        method(r),
    ]
    return "\n".join(sections)


def median_rate(r: dict, group: str, name: str) -> float:
    return spread([x["rate"] for x in r[group][name]]).median


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _spread(values: list[float], fmt=_fmt_rate) -> tuple[str, str, str]:
    s = spread(values)
    return fmt(s.median), fmt(s.low), fmt(s.high)


def header(r: dict) -> str:
    meta, s = r["meta"], r["meta"]["settings"]
    m, v = meta["machine"], meta["versions"]
    data = r["data"]["main"]
    versions = "\n".join(f"| {k} | {value} |" for k, value in v.items())
    return f"""# Benchmarks
{_scale_warning(s)}
Every figure on this page comes from **one run** of `make bench`, on one embedded Kafka broker
and one data set, so ratios between rows are meaningful even on a noisy machine. Throughput
figures are the median of {s["repeats"]} repetitions (min and max beside them), measured in
interleaved rounds so that a slow moment hits every scenario of its round alike.

- Command: `{meta["command"]}` (from a fresh clone; `make bench` installs what it needs)
- Started {meta["started_at"]}, took {meta["seconds"] / 60:.1f} min
- Machine: {m["cores"]} cores, {m["memory_gib"]} GiB, {m["cpu"]}; {m["os"]}
- Load average (1, 5, 15 min) at start {m["load_average"]}, at the end
  {meta.get("load_average_end")}: a load well above {m["cores"]} means other work shared the
  machine and every figure is low by about as much

| Software | Version |
|---|---|
{versions}

**Data**: {data["records"]:,} records of ~{s["value_bytes"]} B JSON events
({data["bad"]:,} bad, {100 * data["bad"] / max(data["records"], 1):.1f} %, six kinds:
UndecodableValue, InvalidJson, NotAnObject, MissingField, WrongFieldType, NullValue), Kafka
timestamps spread over {s["hours"]} hours, {data["partitions"]} partitions of equal size,
produced once in {data["produce_seconds"]:.1f}s; every throughput scenario reads this same
topic from the beginning. Micro-batches (and the peer's batches) hold
{s["batch_records"]:,} records.
"""


def _scale_warning(settings: dict) -> str:
    """A warning above everything when the run was scaled down with ``BENCH_*`` knobs."""
    full = json.loads(json.dumps(BenchSettings().as_dict()))
    settings = json.loads(json.dumps(settings, default=str))
    changed = [
        f"{k}={settings[k]}"
        for k in full
        if k not in ("workdir", "report_path") and settings.get(k) != full[k]
    ]
    if not changed:
        return ""
    return (
        f"\n> **Scaled-down run** ({', '.join(changed)}): a development check of the benchmark,"
        "\n> not figures to quote. `make bench` without `BENCH_*` variables gives those.\n"
    )


def targets(r: dict) -> str:
    job = median_rate(r, "throughput", "job")
    delta = median_rate(r, "throughput", "delta_backup")
    peer = median_rate(r, "throughput", "peer")
    local2 = median_rate(r, "scaling", "local2_6p")
    local1 = median_rate(r, "scaling", "local1_6p")
    rows = [
        (
            "Full pipeline (built-in JSON processor) ≥ 0.6 × backup-only Delta ceiling",
            f"{job / delta:.2f} ×",
            job / delta >= 0.6,
        ),
        *_python_target(r, delta),
        (
            "Against the at-least-once peer (no target: it gives up exactly once)",
            f"{job / peer:.2f} ×",
            None,
        ),
        *_exactly_once_peer_target(r, job),
        *_latency_target(r),
        *_memory_target(r),
        ("local[2] ≥ 1.6 × local[1]", f"{local2 / local1:.2f} ×", local2 / local1 >= 1.6),
    ]
    met = {True: "yes", False: "**no**", None: "–"}
    lines = [f"| {t} | {m} | {met[ok]} |" for t, m, ok in rows]
    return (
        "## Targets\n\nReported, never asserted.\n\n| Target | Measured | Met |\n|---|---|---|\n"
        + "\n".join(lines)
        + "\n"
    )


def _python_target(r: dict, delta: float) -> list[tuple[str, str, bool]]:
    if not r["throughput"].get("job_python"):
        return []
    python = median_rate(r, "throughput", "job_python") / delta
    return [
        (
            "Full pipeline, a Python processor ≥ 0.35 × the ceiling",
            f"{python:.2f} ×",
            python >= 0.35,
        )
    ]


def _exactly_once_peer_target(r: dict, job: float) -> list[tuple[str, str, bool]]:
    if not r["throughput"].get("peer_delta"):
        return []
    peer = median_rate(r, "throughput", "peer_delta")
    return [("Full pipeline ahead of the exactly-once peer", f"{job / peer:.2f} ×", job > peer)]


def _latency_target(r: dict) -> list[tuple[str, str, bool]]:
    runs = [x for x in r.get("latency", []) if x["rate"] == 5000]
    if not runs:
        return []
    best = min(runs, key=lambda x: _p(x, "output", "p95"))
    p95 = _p(best, "output", "p95")
    text = f"{p95:.2f} s (output table, trigger {best['trigger_seconds']:g} s)"
    return [("p95 ≤ 2 s at 5 000 records/s", text, p95 <= 2.0)]


def _memory_target(r: dict) -> list[tuple[str, str, bool]]:
    m = r.get("memory")
    if not m:
        return []
    change = m["analysis"]["total"]["change_pct"]
    text = f"{change:+.1f} % over {m['batches']} micro-batches (driver + Python workers)"
    return [("RSS flat within 10 % over the run", text, abs(change) <= 10)]


def _p(run: dict, table: str, q: str) -> float:
    return spread([w[q] for w in run["latency"][table] if w["records"]]).median


def throughput(r: dict) -> str:
    delta = median_rate(r, "throughput", "delta_backup")
    lines = []
    for key, name in NAMES.items():
        reps = r["throughput"].get(key)
        if not reps:
            continue
        median, low, high = _spread([x["rate"] for x in reps])
        ratio = median_rate(r, "throughput", key) / delta
        lines.append(f"| {name} | {median} | {low} | {high} | {reps[0]['batches']} | {ratio:.2f} |")
    job, peer = r["throughput"]["job"][0], r["throughput"]["peer"][0]
    s = r["meta"]["settings"]
    return f"""## Throughput (1–3)

| Scenario | records/s (median) | min | max | batches | × backup-only ceiling |
|---|---|---|---|---|---|
{chr(10).join(lines)}

Both the job and the peer sent {job.get("dlq", 0):,} / {peer.get("dlq", 0):,} records to the
DLQ and wrote {job.get("output", 0):,} / {peer.get("output", 0):,} output rows.

**The peer** (`benchmarks/peer.py`) is what a careful user would write instead:
{s["peer_processes"]} confluent-kafka consumer processes (one per core, a static share of the
partitions each, so no rebalancing), batches of {s["batch_records"] // s["peer_processes"]:,}
records each, the same `json_events` processor with one `try` per record, hourly
(`date=…/hour=…`) Parquet for backup, output and DLQ written by pyarrow to a staging folder and
renamed into place, then a synchronous offset commit. **It is at least once, not exactly
once**: a crash after its files are renamed and before the offset commit replays the batch,
so backup, output and DLQ get those rows twice; a reader may see a batch's backup before its
output; there is no ledger, no atomic multi-file commit, no schema enforcement and no time
travel. The job keeps exactly once per table (each batch's Delta commits tagged with the query's
app id and the batch id).

**The exactly-once peer** (`benchmarks/peer_delta.py`) keeps the job's promise without Spark:
the same processes, batches and processor, the three tables as hourly Delta tables written by
delta-rs (`deltalake`), each append carrying one application transaction per Kafka partition
(version: the batch's last offset) and writing only the records past the version the table
holds, then the offset commit. A crash between two table commits replays records that each
table skips: exactly once per table, like the job.
"""


def latency(r: dict) -> str:
    runs = r.get("latency", [])
    if not runs:
        return ""
    lines = []
    for run in runs:
        for table in ("backup", "output"):
            cells = " | ".join(_window_cell(run, table, q) for q in ("p50", "p95", "p99"))
            lines.append(
                f"| {run['rate']:,} | {run['trigger_seconds']:g} s | {table} | {cells} "
                f"| {run['batches']} |"
            )
    s = r["meta"]["settings"]
    return f"""## Latency (4)

From the produce call (the record's Kafka timestamp) to the moment the Delta commit holding
the row exists (the commit file's mtime): the row is readable from then on. Each cell is the
median over {s["latency_windows"]} consecutive {s["latency_window_seconds"]}s windows of one
job run, with the windows' min–max in brackets, after {s["latency_warmup_seconds"]}s of
warm-up; seconds.

| Input rate (records/s) | Trigger | Table | p50 | p95 | p99 | batches |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}
"""


def _window_cell(run: dict, table: str, q: str) -> str:
    s = spread([w[q] for w in run["latency"][table] if w["records"]])
    return f"{s.median:.2f} [{s.low:.2f}–{s.high:.2f}]"


def memory(r: dict) -> str:
    m = r.get("memory")
    if not m:
        return ""
    rows = []
    for name, a in m["analysis"].items():
        rows.append(
            f"| {name.replace('_', ' ')} | {a['early_mib']:.0f} | {a['late_mib']:.0f} | "
            f"{a['change_pct']:+.1f} % | {a['slope_mib_per_100_batches']:+.2f} |"
        )
    tables = "backup + output + DLQ" if m["with_output"] else "backup + DLQ, no output table"
    s = r["meta"]["settings"]
    every = s["memory_bad_every"]
    return f"""## Memory (5)

`python -m jobs.stream` in its own process, {m["batches"]} micro-batches of
{m["batch_records"]} records ({tables}; the JSON processor), trigger processing-time 0 s, from a
{m["partitions"]}-partition topic holding the data set's good records with one bad record
(of each kind in turn) every {every}, so the DLQ is written in about one micro-batch in
{max(every // max(m["batch_records"], 1), 1)}; {m["seconds"]:.0f}s in all. RSS is sampled every
second; "early" is the mean over batches 10–20 % of the run, "late" over its last 10 %, and the
slope is a least-squares fit over everything after the first 10 % (start-up).

| Process | early RSS (MiB) | late RSS (MiB) | change | slope (MiB per 100 batches) |
|---|---|---|---|---|
{chr(10).join(rows)}

Seconds per micro-batch: {m["batch_seconds"]["early"]:.2f} early, {m["batch_seconds"]["late"]:.2f}
late (a table whose commits slow down as it grows would show here).

A lean configuration, chosen to fit {m["batches"]} micro-batches into the time budget: here a
micro-batch took {m["seconds_per_batch"]:.2f} s on average, nearly all of it fixed cost (Spark
jobs and Delta commits), so the run keeps one partition, no output table and few DLQ writes,
and still exercises every path that allocates per batch (Kafka source, stamp, backup commit,
Python workers, DLQ commit).
"""


def scaling(r: dict) -> str:
    rates = {k: median_rate(r, "scaling", k) for k in SCALING}
    lines = []
    for key, name in SCALING.items():
        median, low, high = _spread([x["rate"] for x in r["scaling"][key]])
        lines.append(f"| {name} | {median} | {low} | {high} |")
    records = r["scaling"]["local2_6p"][0]["records"]
    return f"""## Scaling (6)

The job (same configuration as above) over the first {records:,} records of the data set.

| Configuration | records/s (median) | min | max |
|---|---|---|---|
{chr(10).join(lines)}

local[2] / local[1] = **{rates["local2_6p"] / rates["local1_6p"]:.2f} ×**;
6 partitions / 1 partition = **{rates["local2_6p"] / rates["local2_1p"]:.2f} ×**.
"""


def profiles(r: dict) -> str:
    columns = [("throughput run", r["profile"]["throughput"])]
    fast = [x for x in r.get("latency", []) if x["trigger_seconds"] == 0]
    if fast:
        busiest = max(fast, key=lambda x: x["rate"])
        columns.append((f"latency run, {busiest['rate']:,}/s, trigger 0 s", busiest["profile"]))
    head = " | ".join(f"{name}: s/batch | share" for name, _ in columns)
    lines = []
    for step in STEPS:
        cells = " | ".join(_share(p, step) for _, p in columns)
        lines.append(f"| {LABELS[step]} | {cells} |")
    totals = " | ".join(
        f"**{p.get('total', 0):.2f}** | {p.get('records', 0):,.0f} rec" for _, p in columns
    )
    top = sorted(PARTS, key=lambda k: -columns[0][1].get(k, 0))[:3]
    return f"""## Profile of one micro-batch (7)

Mean micro-batch of the median job run (the first batch, which creates the tables, left
out), and of the busiest latency run. Measured without touching the job: Spark's progress
events, the job's own step times, and each Delta append's `save()` interval split at the
moment its last data file was written (from the table's log). The steps overlap (backup beside
the processor, output beside DLQ, each from its own driver thread), so the parts add up to
more than the batch: each is the step's own time, the work of the others included where they
shared the cores. The Kafka read happens inside the first action on the cached batch (the
backup or the processor, whichever reads first); it is estimated from the `noop` ceiling at
the same batch size. The built-in JSON processor runs in the JVM (Spark SQL), so its step has
no Python share (the two "of which" lines stay empty); its Python twin's work alone, the job's
`ProcessorRun` on an Arrow batch of these records outside Spark, costs {_cost(r)} per record.

| Step | {head} |
|---|{"---|---|" * len(columns)}
{chr(10).join(lines)}
| **total (trigger)** | {totals} |

Largest shares of a throughput batch: {", ".join(LABELS[k] for k in top)}.
"""


def _cost(r: dict) -> str:
    cost = r.get("processor_us_per_record")
    return f"{cost:.1f} µs" if cost else "(not measured)"


def _total(p: dict) -> str:
    return f"**{p.get('total', 0):.2f}** | {p.get('records', 0):,.0f} records"


def _share(p: dict, step: str) -> str:
    """Seconds and share of the batch; a dash for a step this run did not measure apart."""
    if step not in p:
        return "– | –"
    total = p.get("total") or 1
    return f"{p[step]:.2f} | {100 * p[step] / total:.0f} %"


def method(r: dict) -> str:
    phases = "\n".join(f"| {k} | {v:.0f} |" for k, v in r["phases"].items())
    return f"""## How it is measured

- Spark scenarios (both ceilings and the job) run in one warm JVM per master, started once;
  each repetition gets a fresh checkpoint and fresh tables and reads the topic from the
  beginning with trigger available-now. Their time is Spark's own: from the start of the
  first trigger to the end of the last one (progress events), so start-up is left out alike.
  The job runs through `jobs.stream.main` with the flags users pass
  (`--trigger available-now --max-offsets-per-trigger N`), `local[2]`.
- The peer's time runs from creating its consumers to its last offset commit.
- Latency: the job runs with `--trigger processing-time=0s` or `=1s` while a producer
  thread sends at a fixed rate; produce time is the record's Kafka timestamp.
- Memory: see above. Scaling: see above.

Seconds per phase of this run:

| Phase | seconds |
|---|---|
{phases}
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.report RESULTS.json [REPORT.md]``: render a run's results again."""
    args = sys.argv[1:] if argv is None else argv
    results = json.loads(Path(args[0]).read_text())
    target = Path(args[1] if len(args) > 1 else "docs/BENCHMARKS.md")
    for path in write(results, target):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
