"""Processors for the job's tests; importable by Spark's Python workers (tests/ is on
PYTHONPATH, see tests/conftest.py). Behaviour is chosen by the record's value."""

from __future__ import annotations

import builtins
import json
import os
import time
from pathlib import Path

from jobs.processor import Record, processor


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


@processor("text STRING, n INT")
def by_value(record: Record):
    """``ok`` → one row; ``filter`` → none; ``fanout:N`` → N rows; ``raise:Name`` raises the
    builtin exception Name; ``unprintable`` raises an exception whose message cannot be shown;
    ``wrong-type`` / ``missing-field`` / ``not-a-dict`` return output that breaks the schema."""
    command = record.text()
    if command == "ok":
        return {"text": "ok", "n": 1}
    if command == "filter":
        return None
    if command.startswith("fanout:"):
        return [{"text": "fan", "n": i} for i in range(int(command[7:]))]
    if command.startswith("raise:"):
        raise getattr(builtins, command[6:])("raised on purpose")
    if command == "unprintable":
        raise Unprintable()
    if command == "wrong-type":
        return {"text": 5, "n": 1}
    if command == "missing-field":
        return {"text": "x"}
    if command == "not-a-dict":
        return 42
    return json.loads(command)


@processor("key BINARY, value BINARY")
def slow(record: Record):
    """Pass-through at 5 records per second per task: keeps a batch running. Touches
    ``$SLOW_PROCESSOR_MARKER`` (when set) so a test knows a batch is under way."""
    marker = os.environ.get("SLOW_PROCESSOR_MARKER")
    if marker:
        Path(marker).touch()
    time.sleep(0.2)
    return {"key": record.key, "value": record.value}


@processor("key BINARY, value BINARY")
def slow_failing(record: Record):
    """Like ``slow``, then every record fails (``ValueError``): a batch that is sure to pass
    any ``--errors-tolerance`` but ``all``, after running long enough to be stopped."""
    slow(record)
    raise ValueError(f"record {record.offset} refused on purpose")
