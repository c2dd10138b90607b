"""The bad-input catalogue's processor (tests/e2e/test_bad_input.py): everything a user's
processor can do wrong, chosen per record by its first ``cmd`` header.

Without a ``cmd`` header the record goes through the built-in JSON processor
(``jobs.processors.builtin.JsonEvents``), so JSON kinds get its error types. Importable by
Spark's Python workers: tests/ is on PYTHONPATH (see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pyspark.sql import Row

from jobs.core.failures import RecordError
from jobs.processor import Record, processor
from jobs.processors.builtin import JsonEvents

SCHEMA = (
    "event_id STRING NOT NULL, user_id BIGINT, amount DOUBLE, kind STRING, n INT, "
    "at TIMESTAMP, tags ARRAY<INT>"
)
ODD_MESSAGE = "line one\nline two\ttab\x00nul ✓ 💥 שלום \u202eevil"
PARIS_TIME = dt.datetime(2026, 11, 22, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


class NotAString(Exception):
    def __str__(self) -> str:
        return 5  # type: ignore[return-value]


class Halt(BaseException):
    """A BaseException of the processor's own, like gevent's Timeout."""


class ÉchecDeTraitement(Exception):
    """An exception class with a non-ASCII name."""


class PayloadRejected(RecordError):
    error_type = "BadPayload"


class Coded(RecordError):
    def __init__(self) -> None:
        super().__init__("rejected with code 404")
        self.error_type = 404  # type: ignore[assignment]


class BrokenZone(dt.tzinfo):
    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("this zone has no offset")


def _raising(make: Callable[[], BaseException]) -> Callable[[Record], NoReturn]:
    def act(record: Record) -> NoReturn:
        raise make()

    return act


def _recurse(record: Record, depth: int = 0) -> int:
    return _recurse(record, depth + 1) + 1


def _mutate(record: Record) -> None:
    record.value = b"changed"  # type: ignore[misc]


def _chained(record: Record) -> NoReturn:
    try:
        {}["lookup"]
    except KeyError as e:
        raise RuntimeError("enrichment failed") from e


def _row(record: Record, **changes: Any) -> dict[str, Any]:
    row = {
        "event_id": f"out-{record.offset}",
        "user_id": 1,
        "amount": 1.0,
        "kind": "k",
        "n": 0,
        "at": record.timestamp,
        "tags": [1, 2],
    }
    return row | changes


def _json(record: Record) -> dict[str, Any]:
    event = JsonEvents().process(record)
    return {**event, "n": len(record.headers), "at": record.timestamp, "tags": None}


_REUSED: dict[str, Any] = {}


def _reused(record: Record) -> dict[str, Any]:
    _REUSED.update(_row(record, n=record.offset))
    return _REUSED


def _without(record: Record, name: str) -> dict[str, Any]:
    row = _row(record)
    del row[name]
    return row


ACTIONS: dict[str, Callable[[Record], Any]] = {
    "json": _json,
    "filter": lambda r: None,
    "raise:ValueError": _raising(lambda: ValueError("raised on purpose")),
    "raise:KeyError": lambda r: {}["absent"],
    "raise:TypeError": lambda r: r.value + 1,
    "raise:ZeroDivisionError": lambda r: 1 / 0,
    "raise:AttributeError": lambda r: r.no_such_field,
    "raise:IndexError": lambda r: r.headers[999],
    "raise:OverflowError": lambda r: math.exp(1000),
    "raise:UnicodeDecodeError": lambda r: r.text(),
    "raise:JSONDecodeError": lambda r: json.loads(r.value),
    "raise:FileNotFoundError": lambda r: Path("/nonexistent/lookup.csv").read_text(),
    "raise:NotImplementedError": _raising(NotImplementedError),
    "raise:AssertionError": _raising(lambda: AssertionError("invariant broken")),
    "raise:FrozenInstanceError": _mutate,
    "raise:RecursionError": _recurse,
    "raise:MemoryError": _raising(MemoryError),
    "raise:StopIteration": lambda r: next(iter(())),
    "raise:UserWarning": _raising(lambda: UserWarning("a warning raised as an error")),
    "raise:SystemExit": lambda r: sys.exit(3),
    "raise:SystemExit0": lambda r: sys.exit(0),
    "raise:CancelledError": _raising(lambda: asyncio.CancelledError("task cancelled")),
    "raise:GeneratorExit": _raising(GeneratorExit),
    "raise:BaseException": _raising(lambda: Halt("halt")),
    "raise:ExceptionGroup": _raising(
        lambda: ExceptionGroup("two failures", [ValueError("a"), KeyError("b")])
    ),
    "raise:chained": _chained,
    "raise:unprintable": _raising(Unprintable),
    "raise:str-not-a-string": _raising(NotAString),
    "raise:odd-message": _raising(lambda: ValueError(ODD_MESSAGE)),
    "raise:surrogate-message": _raising(
        lambda: ValueError(b"bad \xff byte".decode("utf-8", "surrogateescape"))
    ),
    "raise:huge-message": _raising(lambda: ValueError("m" * 1_000_000)),
    "raise:non-ascii-class": _raising(lambda: ÉchecDeTraitement("échec")),
    "raise:custom-error-type": _raising(lambda: PayloadRejected("payload rejected")),
    "raise:non-str-error-type": _raising(Coded),
    "out:int": lambda r: 42,
    "out:str": lambda r: "a row",
    "out:generator": lambda r: (_row(r) for _ in range(2)),
    "out:list-with-none": lambda r: [_row(r), None],
    "out:pyspark-row": lambda r: Row(**_row(r)),
    "out:tuple-of-rows": lambda r: (_row(r, n=0), _row(r, n=1)),
    "out:empty-list": lambda r: [],
    "out:non-str-keys": lambda r: {**_row(r), 1: "one"},
    "out:missing-column": lambda r: _without(r, "kind"),
    "out:extra-column": lambda r: {**_row(r), "extra": 1},
    "out:str-for-int": lambda r: _row(r, n="7"),
    "out:bytes-for-string": lambda r: _row(r, kind=b"k"),
    "out:int-over-INT": lambda r: _row(r, n=2**31),
    "out:int-over-BIGINT": lambda r: _row(r, user_id=2**63),
    "out:nan-for-INT": lambda r: _row(r, n=math.nan),
    "out:bool-for-INT": lambda r: _row(r, n=True),
    "out:numpy-int": lambda r: _row(r, n=np.int64(5)),
    "out:null-for-not-null": lambda r: _row(r, event_id=None),
    "out:lone-surrogate": lambda r: _row(r, kind="\udcff"),
    "out:nat-timestamp": lambda r: _row(r, at=pd.NaT),
    "out:broken-zone": lambda r: _row(r, at=dt.datetime(2026, 1, 1, tzinfo=BrokenZone())),
    "out:string-for-timestamp": lambda r: _row(r, at="2026-11-22T09:00:00Z"),
    "out:wrong-element-type": lambda r: _row(r, tags=[1, "two"]),
    "out:string-for-array": lambda r: _row(r, tags="12"),
    "out:nan-and-extremes": lambda r: _row(r, amount=math.nan, user_id=-(2**63), n=2**31 - 1),
    "out:infinity": lambda r: _row(r, amount=-math.inf),
    "out:zoned-timestamp": lambda r: _row(r, at=PARIS_TIME),
    "out:reused-dict": _reused,
    "out:big-string": lambda r: _row(r, kind="x" * 200_000),
}


@processor(SCHEMA)
def catalogue(record: Record) -> Any:
    """``fanout:N`` returns N rows; any other command is looked up in ``ACTIONS``."""
    command = (record.header("cmd") or b"json").decode()
    if command.startswith("fanout:"):
        return [_row(record, n=i) for i in range(int(command[7:]))]
    return ACTIONS[command](record)
