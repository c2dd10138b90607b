"""The report's PNG: throughput with min-max, latency percentiles, and RSS over the memory run."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benchmarks.stats import spread

SHORT = {
    "noop": "Kafka → noop\n(ceiling)",
    "delta_backup": "Kafka → Delta backup\n(ceiling)",
    "job": "this job\n(full pipeline)",
    "peer": "peer consumer\n(confluent-kafka)",
    "peer_delta": "exactly-once peer\n(confluent-kafka + delta-rs)",
}


def draw(results: dict, path: Path) -> None:
    panels = 2 + bool(results.get("memory"))
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.8))
    throughput_panel(axes[0], results["throughput"])
    latency_panel(axes[1], results.get("latency", []))
    if results.get("memory"):
        memory_panel(axes[2], results["memory"])
    fig.suptitle(f"make bench — {results['meta']['started_at']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def throughput_panel(ax, throughput: dict) -> None:
    names = [k for k in SHORT if k in throughput]
    spreads = [spread([x["rate"] for x in throughput[k]]) for k in names]
    errors = [[s.median - s.low for s in spreads], [s.high - s.median for s in spreads]]
    ax.barh(range(len(names)), [s.median for s in spreads], xerr=errors, capsize=4, color="#4C72B0")
    ax.set_yticks(range(len(names)), [SHORT[k] for k in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("records/s (median, min–max)")
    ax.set_title("Throughput")
    ax.set_xlim(right=max((s.high for s in spreads), default=1) * 1.25)
    for i, s in enumerate(spreads):
        ax.text(s.high, i, f"  {s.median:,.0f}", va="center", fontsize=8)


def latency_panel(ax, runs: list[dict]) -> None:
    labels = [f"{r['rate']:,}/s\ntrigger {r['trigger_seconds']:g}s" for r in runs]
    width, highest = 0.25, 2.0
    for n, q in enumerate(("p50", "p95", "p99")):
        spreads = [spread([w[q] for w in r["latency"]["output"] if w["records"]]) for r in runs]
        xs = [i + (n - 1) * width for i in range(len(runs))]
        errors = [[s.median - s.low for s in spreads], [s.high - s.median for s in spreads]]
        ax.bar(xs, [s.median for s in spreads], width, yerr=errors, capsize=3, label=q)
        highest = max([highest, *(s.high for s in spreads)])
    ax.axhline(2.0, color="grey", linestyle="--", linewidth=1, label="2 s target (p95)")
    ax.set_xticks(range(len(runs)), labels, fontsize=8)
    ax.set_ylabel("seconds, produce → readable in output table")
    ax.set_title("End-to-end latency")
    ax.set_ylim(0, highest * 1.35)
    ax.legend(fontsize=8, loc="upper left", ncol=2)


def memory_panel(ax, memory: dict) -> None:
    samples = [s for s in memory["samples"] if s["batch"] >= 0]
    xs = [s["batch"] for s in samples]
    for name in ("driver_jvm", "python_workers", "driver_python"):
        ax.plot(xs, [s[name] for s in samples], label=name.replace("_", " "), linewidth=1)
    ax.set_xlabel("micro-batch")
    ax.set_ylabel("RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Memory over {memory['batches']} micro-batches")
    ax.legend(fontsize=8)
