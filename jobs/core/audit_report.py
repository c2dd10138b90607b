"""The audit's findings as a report: problems, notes, a table for people, JSON for machines.

Pure: built from plain dicts the Spark queries return.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["PROBLEM_TEXT", "AuditReport", "Problem", "describe_gaps", "problems_from_hours"]

PROBLEM_TEXT = {
    "doubled_in_backup": "records backed up more than once",
    "doubled_in_output": "records with the same output row more than once",
    "doubled_in_dlq": "records with more than one DLQ row",
    "in_output_and_dlq": "records both in the output and unresolved in the DLQ",
    "not_backed_up": "records processed but missing from the backup",
    "unaccounted": "backed-up records in neither output, DLQ nor the ledger's filtered list",
    "missing_from_backup": "records the broker holds that the backup lacks",
    "ledger_shortfall": "ledger batches that read more records than the backup holds",
    "ledger_doubled": "ledger batches recorded twice",
}
COUNTED = ("backed_up", "output", "dlq", "resolved", "filtered")


@dataclass(frozen=True)
class Problem:
    kind: str
    topic: str
    partition: int
    date: str | None
    hour: str | None
    count: int
    offsets: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        where = f"{self.topic}[{self.partition}]" + (
            f" {self.date} hour {self.hour}" if self.date else ""
        )
        sample = f" (offsets {', '.join(map(str, self.offsets))}…)" if self.offsets else ""
        return f"{where}: {self.count} {PROBLEM_TEXT[self.kind]}{sample}"


@dataclass
class AuditReport:
    scope: str
    hours: list[dict]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.clean else 1

    def totals(self) -> dict[str, int]:
        return {name: sum(h[name] for h in self.hours) for name in COUNTED}

    def to_json(self) -> str:
        return json.dumps(
            {
                "clean": self.clean,
                "scope": self.scope,
                "totals": self.totals(),
                "problems": [asdict(p) for p in self.problems],
                "notes": self.notes,
                "partitions": self.hours,
            },
            default=str,
        )

    def to_text(self) -> str:
        lines = [f"audit of {self.scope}", *table(self.hours, self.totals())]
        lines += [f"note: {n}" for n in self.notes]
        if self.clean:
            lines.append(
                "clean: every backed-up record is accounted for exactly once "
                "(output, DLQ or filtered), and nothing is doubled"
            )
        else:
            lines.append(f"PROBLEMS ({len(self.problems)}):")
            lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def problems_from_hours(hours: list[dict], kinds: list[str]) -> list[Problem]:
    """The per-hour problem columns (``{"count", "offsets"}``) that are not zero."""
    found = []
    for h in hours:
        for kind in kinds:
            fact = h.get(kind) or {"count": 0}
            if fact["count"]:
                found.append(
                    Problem(
                        kind,
                        h["topic"],
                        h["partition"],
                        h["date"],
                        h["hour"],
                        fact["count"],
                        list(fact.get("offsets") or []),
                    )
                )
    return found


def table(hours: list[dict], totals: dict[str, int]) -> list[str]:
    header = (
        f"{'topic':<20} {'part':>4} {'date':<10} {'hour':<4} {'offsets':<17} "
        f"{'backed_up':>9} {'output':>8} {'dlq':>6} {'resolved':>8} {'filtered':>8}  status"
    )
    lines = [header]
    for h in hours:
        offsets = (
            f"{h['first_offset']}..{h['last_offset']}" if h["first_offset"] is not None else "-"
        )
        lines.append(
            f"{h['topic'][:20]:<20} {h['partition']:>4} {h['date']:<10} {h['hour']:<4} "
            f"{offsets:<17} {h['backed_up']:>9,} {h['output']:>8,} {h['dlq']:>6,} "
            f"{h['resolved']:>8,} {h['filtered']:>8,}  {status(h)}"
        )
    lines.append(
        f"{'total':<59} {totals['backed_up']:>9,} {totals['output']:>8,} {totals['dlq']:>6,} "
        f"{totals['resolved']:>8,} {totals['filtered']:>8,}"
    )
    return lines


def status(hour: dict) -> str:
    bad = [k for k in PROBLEM_TEXT if (hour.get(k) or {}).get("count")]
    return "PROBLEM: " + ", ".join(bad) if bad else "ok"


def describe_gaps(gaps: list[dict], verified: bool) -> list[str]:
    """Offset holes are notes, not problems: transaction markers and compaction leave them.
    They become problems only when the broker holds records there (``missing_from_backup``)."""
    if not gaps:
        return []
    missing = sum(g["end"] - g["start"] for g in gaps)
    shown = ", ".join(
        f"{g['topic']}[{g['partition']}] {g['start']}..{g['end'] - 1}" for g in gaps[:5]
    )
    how = (
        "the broker holds no record there (transaction markers, aborted or compacted records)"
        if verified
        else "not compared with the broker (pass --bootstrap-servers); transaction markers "
        "and compaction leave such holes"
    )
    return [f"{len(gaps)} offset holes ({missing} offsets) in the backup, e.g. {shown}: {how}"]
