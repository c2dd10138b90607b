"""Offset arithmetic of topic-partitions: where a stream without checkpoint offsets starts.

``--resume-from-ledger`` (``jobs.runs.resume``) starts each partition one past the last offset
the ledger and backup hold; Spark wants that as its ``startingOffsets`` JSON, for every
partition.
"""

from __future__ import annotations

import json

from jobs.core.errors import InfrastructureError

__all__ = ["TopicPartition", "starting_offsets"]

TopicPartition = tuple[str, int]


def starting_offsets(
    partitions: list[TopicPartition],
    resume_at: dict[TopicPartition, int],
    earliest: dict[TopicPartition, int],
    *,
    unknown_from: str = "earliest",
) -> str:
    """Spark's ``startingOffsets`` JSON for every partition (Spark wants all of them).

    Fails when Kafka no longer holds where the job stopped: those records were never
    processed, and starting later would hide that.
    """
    default = -1 if unknown_from == "latest" else -2
    spec: dict[str, dict[str, int]] = {}
    for topic, partition in partitions:
        offset = resume_at.get((topic, partition), default)
        if offset >= 0 and offset < earliest[(topic, partition)]:
            raise InfrastructureError(
                f"--resume-from-ledger: {topic}[{partition}] stopped at offset {offset}, but "
                f"Kafka now starts at {earliest[(topic, partition)]}: records in between were "
                "never processed and are gone. Start explicitly with --starting-offsets "
                "once that is accepted"
            )
        spec.setdefault(topic, {})[str(partition)] = offset
    return json.dumps(spec)
