"""Which hour partitions table maintenance compacts and which it drops. Pure.

Hour partitions (``date=2026-11-22/hour=09``) hold wall-clock hours of the tables' time zone.
An hour is *closed* once its last instant is more than ``grace`` in the past: the stream has
moved on to later hours (a record with an older Kafka timestamp can still arrive; it lands as a
new small file that a later run compacts). With a daylight-saving change, the hour that occurs
twice counts from its second occurrence. An hour is *expired* once its last instant is older
than the retention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jobs.core.errors import ConfigError

__all__ = [
    "Hour",
    "TablePlan",
    "closed",
    "expired",
    "hour_end",
    "hours_predicate",
    "parse_retention",
]

_RETENTION = re.compile(r"^(\d+)\s*([dh])$")


@dataclass(frozen=True, order=True)
class Hour:
    """One hour partition, as its partition values."""

    date: str
    hour: str

    def __str__(self) -> str:
        return f"{self.date}T{self.hour}"


@dataclass(frozen=True)
class TablePlan:
    """What one run does to one table: compact these hours (with their file counts now) and
    drop these."""

    table: str
    path: str
    compact: dict[Hour, int] = field(default_factory=dict)
    drop: tuple[Hour, ...] = ()
    kept_open: int = 0


def hour_end(hour: Hour, timezone: str) -> datetime:
    """The instant the hour partition ends (UTC); its second occurrence when it has two."""
    local = datetime.fromisoformat(f"{hour.date}T{hour.hour}:00").replace(
        tzinfo=ZoneInfo(timezone), fold=1
    )
    return local.astimezone(UTC) + timedelta(hours=1)


def closed(hours: list[Hour], timezone: str, now: datetime, grace: timedelta) -> list[Hour]:
    return sorted(h for h in hours if hour_end(h, timezone) + grace <= now)


def expired(
    hours: list[Hour], timezone: str, now: datetime, retention: timedelta | None
) -> list[Hour]:
    if retention is None:
        return []
    return sorted(h for h in hours if hour_end(h, timezone) <= now - retention)


def hours_predicate(hours: list[Hour]) -> str:
    """A SQL condition on the partition columns that selects exactly these hours."""
    by_date: dict[str, list[str]] = {}
    for h in sorted(hours):
        by_date.setdefault(h.date, []).append(h.hour)
    terms = [
        f"(date = '{date}' AND hour IN ({', '.join(repr(x) for x in hour_list)}))"
        for date, hour_list in by_date.items()
    ]
    return " OR ".join(terms) or "false"


def parse_retention(text: str, setting: str) -> timedelta | None:
    """``30d``, ``72h`` or ``none`` (keep everything)."""
    if text.strip().lower() == "none":
        return None
    match = _RETENTION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ConfigError(setting, f"{text!r}; give days or hours (30d, 72h) or none")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
