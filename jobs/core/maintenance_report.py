"""What a maintenance run did, per table and hour, as text and as JSON. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from jobs.core.maintenance_plan import TablePlan

__all__ = ["HourResult", "TableResult", "size", "summary_json", "summary_text"]


@dataclass(frozen=True)
class HourResult:
    hour: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    seconds: float


@dataclass
class TableResult:
    plan: TablePlan
    compacted: list[HourResult] = field(default_factory=list)
    dropped_rows: int = 0
    vacuumed_files: int | None = None


def summary_text(results: list[TableResult], dry_run: bool) -> str:
    lines = [
        f"{'table':<8} {'hour':<14} {'files before':>12} {'after':>7} "
        f"{'bytes before':>13} {'after':>10} {'seconds':>8}"
    ]
    for r in results:
        for h in r.compacted:
            lines.append(
                f"{r.plan.table:<8} {h.hour:<14} {h.files_before:>12,} {h.files_after:>7,} "
                f"{size(h.bytes_before):>13} {size(h.bytes_after):>10} {h.seconds:>8.1f}"
            )
        if dry_run:
            lines += [
                f"{r.plan.table:<8} {hour!s:<14} {files:>12,} {'-':>7} (would compact)"
                for hour, files in r.plan.compact.items()
            ]
    for r in results:
        lines.append(table_line(r, dry_run))
    return "\n".join(lines)


def table_line(r: TableResult, dry_run: bool) -> str:
    before = sum(h.files_before for h in r.compacted)
    after = sum(h.files_after for h in r.compacted)
    if dry_run:
        parts = [
            f"{r.plan.table}: {len(r.plan.compact)} hours to compact",
            f"{len(r.plan.drop)} expired hours to drop",
        ]
    else:
        parts = [
            f"{r.plan.table}: {len(r.compacted)} hours compacted ({before:,} files -> {after:,})",
            f"{len(r.plan.drop)} expired hours dropped ({r.dropped_rows:,} rows)",
        ]
    parts.append(f"{r.plan.kept_open} hours still open left alone")
    if r.vacuumed_files is not None:
        verb = "would delete" if dry_run else "deleted"
        parts.append(f"vacuum {verb} {r.vacuumed_files:,} files")
    return "; ".join(parts)


def summary_json(results: list[TableResult], dry_run: bool) -> str:
    return json.dumps(
        {
            "event": "maintenance",
            "dry_run": dry_run,
            "tables": {
                r.plan.table: {
                    "compacted": [h.__dict__ for h in r.compacted],
                    "to_compact": {str(h): n for h, n in r.plan.compact.items()},
                    "dropped_hours": [str(h) for h in r.plan.drop],
                    "dropped_rows": r.dropped_rows,
                    "open_hours": r.plan.kept_open,
                    "vacuumed_files": r.vacuumed_files,
                }
                for r in results
            },
        }
    )


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
