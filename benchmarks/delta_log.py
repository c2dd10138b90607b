"""What a Delta table's log says about each commit: batch id, files, and when it became readable.

Read straight from ``_delta_log/*.json`` (append-only tables), so measuring costs the job
nothing while it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jobs.io.delta_commits import CommitTag


@dataclass(frozen=True)
class Commit:
    version: int
    batch_id: int | None
    started_ms: int
    files_written_ms: int | None
    readable_s: float
    files: int
    bytes: int


def commits(table: Path) -> list[Commit]:
    """Every commit of ``table``; ``readable_s`` is the commit file's mtime (epoch seconds)."""
    log = table / "_delta_log"
    if not log.is_dir():
        return []
    return [_commit(path) for path in sorted(log.glob("*.json"))]


def by_batch(table: Path) -> dict[int, Commit]:
    return {c.batch_id: c for c in commits(table) if c.batch_id is not None}


def _commit(path: Path) -> Commit:
    batch_id, started, adds = None, 0, []
    for line in path.read_text().splitlines():
        action = json.loads(line)
        if "txn" in action:
            batch_id = action["txn"]["version"]
        elif "commitInfo" in action:
            started = action["commitInfo"]["timestamp"]
            tag = CommitTag.parse(action["commitInfo"].get("userMetadata"))
            batch_id = tag.batch_id if tag else batch_id
        elif "add" in action:
            adds.append(action["add"])
    return Commit(
        version=int(path.stem),
        batch_id=batch_id,
        started_ms=started,
        files_written_ms=max((a["modificationTime"] for a in adds), default=None),
        readable_s=path.stat().st_mtime,
        files=len(adds),
        bytes=sum(a["size"] for a in adds),
    )
