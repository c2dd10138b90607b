"""Date and hour partition values from the Kafka record timestamp, never the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["is_known_timezone", "partition_values"]


def partition_values(timestamp: datetime, timezone: str = "UTC") -> tuple[str, str]:
    """``("2026-11-22", "09")`` for a timestamp, in ``timezone``; naive timestamps are UTC."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    local = timestamp.astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d"), local.strftime("%H")


def is_known_timezone(timezone: str) -> bool:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
