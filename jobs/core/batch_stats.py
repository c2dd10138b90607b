"""What one micro-batch did, per topic-partition, and the running totals of a run. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["BatchCounts", "BatchStats", "PartitionStats", "RunTotals", "as_dict", "fold_counts"]


@dataclass(frozen=True)
class PartitionStats:
    """One topic-partition's records of one hour partition in a batch.

    ``filtered_offsets`` names the records the processor dropped: they leave no row anywhere
    else, and the audit needs them to account for every backed-up record.
    """

    topic: str
    partition: int
    first_offset: int
    last_offset: int
    read: int
    output: int
    filtered: int
    dlq: int
    date: str = ""
    hour: str = ""
    filtered_offsets: tuple[int, ...] = ()

    @property
    def end_offset(self) -> int:
        """The next offset to read: what a consumer group commits."""
        return self.last_offset + 1


@dataclass(frozen=True)
class BatchCounts:
    """A processed batch counted once: per topic-partition and hour, and its DLQ records by
    ``error_type`` with one sample message of each."""

    partitions: tuple[PartitionStats, ...]
    errors: Mapping[str, int]
    samples: Mapping[str, str]


_HOUR_KEY = ("topic", "partition", "date", "hour")
_SUMS = ("read", "output", "filtered", "dlq")


def fold_counts(groups: Iterable[Mapping[str, Any]]) -> BatchCounts:
    """``BatchCounts`` from counts grouped one level finer, by hour partition and error type.

    Each group holds the keys of ``PartitionStats`` plus ``error_type`` (None for the records
    that did not fail) and ``sample`` (one of its error messages).
    """
    by_hour: dict[tuple, dict[str, Any]] = {}
    errors: dict[str, int] = {}
    samples: dict[str, str] = {}
    for group in groups:
        key = tuple(group[k] for k in _HOUR_KEY)
        into = by_hour.setdefault(key, {**dict(zip(_HOUR_KEY, key, strict=True)), "offsets": []})
        into["first_offset"] = min(
            into.get("first_offset", group["first_offset"]), group["first_offset"]
        )
        into["last_offset"] = max(
            into.get("last_offset", group["last_offset"]), group["last_offset"]
        )
        for name in _SUMS:
            into[name] = into.get(name, 0) + group[name]
        into["offsets"].extend(group["filtered_offsets"] or ())
        if group["error_type"] is not None and group["dlq"]:
            errors[group["error_type"]] = errors.get(group["error_type"], 0) + group["dlq"]
            samples.setdefault(group["error_type"], group["sample"] or "")
    partitions = [
        PartitionStats(
            **{k: v for k, v in h.items() if k != "offsets"},
            filtered_offsets=tuple(sorted(h["offsets"])),
        )
        for _, h in sorted(by_hour.items())
    ]
    return BatchCounts(tuple(partitions), errors, samples)


@dataclass(frozen=True)
class BatchStats:
    batch_id: int
    partitions: tuple[PartitionStats, ...]
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return sum(p.read for p in self.partitions)

    @property
    def output(self) -> int:
        return sum(p.output for p in self.partitions)

    @property
    def filtered(self) -> int:
        return sum(p.filtered for p in self.partitions)

    @property
    def dlq(self) -> int:
        return sum(p.dlq for p in self.partitions)

    def offset_ranges(self) -> dict[str, list[int]]:
        """``{"topic/partition": [first, last]}`` over the batch's hour partitions."""
        ranges: dict[str, list[int]] = {}
        for p in self.partitions:
            name = f"{p.topic}/{p.partition}"
            first, last = ranges.get(name, (p.first_offset, p.last_offset))
            ranges[name] = [min(first, p.first_offset), max(last, p.last_offset)]
        return ranges

    def log_line(self) -> str:
        """One JSON line: batch id, offsets per partition, rows per table, duration."""
        return json.dumps(
            {
                "event": "batch",
                "batch_id": self.batch_id,
                "offsets": self.offset_ranges(),
                "read": self.read,
                "backed_up": self.read,
                "output": self.output,
                "filtered": self.filtered,
                "dlq": self.dlq,
                "seconds": round(self.seconds, 3),
                "steps": self.steps,
            },
            separators=(",", ":"),
        )


@dataclass
class RunTotals:
    batches: int = 0
    batch_seconds: float = 0.0
    read: int = 0
    output: int = 0
    filtered: int = 0
    dlq: int = 0
    end_offsets: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, batch: BatchStats) -> None:
        self.batches += 1
        self.batch_seconds += batch.seconds
        self.read += batch.read
        self.output += batch.output
        self.filtered += batch.filtered
        self.dlq += batch.dlq
        for p in batch.partitions:
            done = self.end_offsets.setdefault(p.topic, {})
            done[p.partition] = max(done.get(p.partition, 0), p.end_offset)

    def reached(self, stop_at: dict[str, dict[int, int]]) -> bool:
        """True once every partition named in ``stop_at`` was processed up to its offset."""
        return all(
            self.end_offsets.get(topic, {}).get(partition, 0) >= offset
            for topic, partitions in stop_at.items()
            for partition, offset in partitions.items()
        )

    def summary(self, seconds: float) -> dict[str, object]:
        rate = self.read / self.batch_seconds if self.batch_seconds > 0 else 0.0
        return {
            "event": "summary",
            "batches": self.batches,
            "read": self.read,
            "backed_up": self.read,
            "output": self.output,
            "filtered": self.filtered,
            "dlq": self.dlq,
            "seconds": round(seconds, 1),
            "batch_seconds": round(self.batch_seconds, 1),
            "records_per_second": round(rate, 1),
        }


def as_dict(stats: BatchStats) -> dict[str, object]:
    return asdict(stats)
