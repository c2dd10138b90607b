"""What a replay covers, worked out before Spark reads anything. Pure: no Spark, no Kafka.

Offset ranges are half-open, ``[start, end)``, like Kafka's end offsets; hour ranges are
inclusive at both ends (``--from 2026-11-22T09 --to 2026-11-22T12`` is four hours).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from jobs.core.errors import ConfigError, JobError

__all__ = [
    "HOUR_FORMAT",
    "Chunk",
    "Hole",
    "HourRange",
    "OffsetRange",
    "Progress",
    "RangeNotRetained",
    "ReplayPlan",
    "chunks",
    "group_by_size",
    "offset_ranges",
    "within_retention",
]

HOUR_FORMAT = "%Y-%m-%dT%H"
log = logging.getLogger(__name__)


class RangeNotRetained(JobError):
    """Kafka no longer holds part of the asked range (retention or deletion)."""


@dataclass(frozen=True)
class HourRange:
    first: datetime
    last: datetime

    @property
    def bounds(self) -> tuple[str, str]:
        """``("2026-11-22T09", "2026-11-22T12")``: compared with ``date || 'T' || hour``."""
        return self.first.strftime(HOUR_FORMAT), self.last.strftime(HOUR_FORMAT)

    def hours(self) -> list[tuple[str, str]]:
        """Every ``(date, hour)`` partition value in the range."""
        count = int((self.last - self.first) / timedelta(hours=1)) + 1
        moments = (self.first + timedelta(hours=n) for n in range(count))
        return [(m.strftime("%Y-%m-%d"), m.strftime("%H")) for m in moments]

    def __str__(self) -> str:
        return "{} to {}".format(*self.bounds)


@dataclass(frozen=True)
class OffsetRange:
    topic: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] {self.start}..{self.end - 1}"


@dataclass(frozen=True)
class Hole:
    """Offsets asked for that Kafka no longer has: ``[start, end)`` of a partition."""

    topic: str
    partition: int
    start: int
    end: int

    def __str__(self) -> str:
        return (
            f"{self.topic}[{self.partition}]: offsets {self.start}..{self.end - 1} are no "
            f"longer retained ({self.end - self.start} records)"
        )


def offset_ranges(
    starting: dict[str, dict[int, int]], ending: dict[str, dict[int, int]]
) -> list[OffsetRange]:
    """One range per partition in ``starting``; ``ending`` must cover the same partitions."""
    ranges = []
    for topic, partitions in sorted(starting.items()):
        for partition, start in sorted(partitions.items()):
            end = ending.get(topic, {}).get(partition)
            if end is None:
                raise ConfigError("--ending-offsets", f"no ending offset for {topic}[{partition}]")
            if end < start:
                raise ConfigError(
                    "--ending-offsets",
                    f"{topic}[{partition}] ends at {end}, before its start {start}: "
                    "the range is reversed",
                )
            ranges.append(OffsetRange(topic, partition, start, end))
    return ranges


def within_retention(
    ranges: Iterable[OffsetRange],
    earliest: dict[tuple[str, int], int],
    latest: dict[tuple[str, int], int],
    *,
    allow_missing: bool,
) -> tuple[list[OffsetRange], list[Hole]]:
    """Ranges cut to what Kafka still holds, and the holes cut off.

    A range that starts before the earliest retained offset is an error naming the partition,
    the asked offset and the earliest available, unless ``allow_missing``. A range that ends
    past the latest offset is cut to it (those records do not exist yet).
    """
    kept, holes = [], []
    for r in ranges:
        first, last = earliest[(r.topic, r.partition)], latest[(r.topic, r.partition)]
        if r.start < first and r.size:
            if not allow_missing:
                raise RangeNotRetained(
                    f"{r.topic}[{r.partition}]: offset {r.start} is no longer retained; the "
                    f"earliest available is {first}. Replay the archived hours from the backup "
                    "(python -m jobs.replay backup), or pass --allow-missing to replay what is "
                    "left and report the hole"
                )
            holes.append(Hole(r.topic, r.partition, r.start, min(first, r.end)))
        cut = replace(r, start=max(r.start, first), end=min(r.end, last))
        if cut.size:
            kept.append(cut)
    return kept, holes


def chunks(ranges: Iterable[OffsetRange], max_records: int) -> Iterator[list[OffsetRange]]:
    """Slices of the ranges, at most ``max_records`` offsets per chunk, partitions in order."""
    chunk: list[OffsetRange] = []
    room = max_records
    for r in ranges:
        start = r.start
        while start < r.end:
            end = min(r.end, start + room)
            chunk.append(replace(r, start=start, end=end))
            room -= end - start
            start = end
            if room == 0:
                yield chunk
                chunk, room = [], max_records
    if chunk:
        yield chunk


def group_by_size(counts: Iterable[tuple[str, str, int]], max_records: int) -> list[list]:
    """Consecutive ``(date, hour, records)`` grouped into chunks of about ``max_records``;
    an hour is never split, so a chunk reads whole partitions."""
    groups: list[list] = []
    size = 0
    for date, hour, records in counts:
        if not groups or size + records > max_records:
            groups.append([])
            size = 0
        groups[-1].append((date, hour))
        size += records
    return groups


@dataclass(frozen=True)
class Chunk:
    rows: Callable[[], object]
    records: int
    partitions: frozenset


@dataclass
class ReplayPlan:
    """What a replay covers: its chunks, their size, and what Kafka no longer holds."""

    what: str
    chunks: list[Chunk]
    unit: str
    holes: list[Hole] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chunks)

    @property
    def partitions(self) -> int:
        return len(frozenset().union(*(c.partitions for c in self.chunks)))

    def describe(self) -> str:
        lines = [
            f"replay {self.what}: {self.records:,} records in {self.partitions} {self.unit}, "
            f"{len(self.chunks)} chunk(s)"
        ]
        lines += [f"  missing: {hole}" for hole in self.holes]
        return "\n".join(lines)


class Progress:
    """One log line per chunk: records and partitions done of the plan's total."""

    def __init__(self, plan: ReplayPlan) -> None:
        self.plan = plan
        self.began = time.monotonic()
        self.records = 0
        self.done: set = set()

    def chunk_done(self, number: int, chunk: Chunk) -> None:
        self.records += chunk.records
        self.done |= chunk.partitions
        total = max(self.plan.records, 1)
        log.info(
            "chunk %d/%d done: %s of %s records (%.0f%%), %d of %d %s, %.1fs",
            number,
            len(self.plan.chunks),
            f"{self.records:,}",
            f"{self.plan.records:,}",
            100 * self.records / total,
            len(self.done),
            self.plan.partitions,
            self.plan.unit,
            time.monotonic() - self.began,
        )
