"""Lag per topic-partition while the stream is idle, and the heartbeat's log line. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime

__all__ = ["heartbeat_line", "lag_per_partition", "processed_offsets"]

TopicPartition = tuple[str, int]


def processed_offsets(end_offsets: list[str]) -> dict[TopicPartition, int]:
    """The next offset to process per partition, from the ``endOffset`` JSON of each source
    in Spark's last progress report (``{"orders": {"0": 120}}``)."""
    found: dict[TopicPartition, int] = {}
    for text in end_offsets:
        for topic, partitions in (json.loads(text) if text else {}).items():
            for partition, offset in partitions.items():
                found[(topic, int(partition))] = int(offset)
    return found


def lag_per_partition(
    broker_ends: dict[TopicPartition, int], processed: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Records the broker holds past what was processed; a partition not processed yet
    counts from 0 (the broker's earliest offset may be later: an upper bound then)."""
    return {tp: max(0, end - processed.get(tp, 0)) for tp, end in sorted(broker_ends.items())}


def heartbeat_line(
    last_batch: int | None, last_batch_at: float | None, now: float, lag: dict | None
) -> str:
    """One JSON line, like the batch lines: the last batch, how long ago, the lag."""
    line: dict[str, object] = {"event": "idle", "last_batch": last_batch}
    if last_batch_at is not None:
        line["last_batch_at"] = datetime.fromtimestamp(last_batch_at, UTC).isoformat(
            timespec="seconds"
        )
        line["idle_seconds"] = round(now - last_batch_at)
    if lag is not None:
        line["lag"] = {f"{t}/{p}": n for (t, p), n in lag.items()}
        line["lag_total"] = sum(lag.values())
    return json.dumps(line, separators=(",", ":"))
