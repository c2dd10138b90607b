"""The built-in processors: pass-through, and JSON parse and validate.

``json_events`` is the demo's events processor, written as Spark expressions
(``jobs.processors.sql_json``: it never leaves the JVM). ``JsonEvents`` is the same processor in
Python, record for record (a differential test holds them equal); it serves the peers of the
bench and subclasses (``JsonProcessor``) that shape their rows in Python.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

from jobs.core.failures import (
    InvalidJson,
    MissingField,
    NestingTooDeep,
    NotAnObject,
    NumberOutOfRange,
    UndecodableValue,
    WrongFieldType,
)
from jobs.processor import Record, processor
from jobs.processors.sql_json import json_events

__all__ = ["JsonEvents", "JsonProcessor", "json_events", "passthrough"]


@processor("key BINARY, value BINARY")
def passthrough(record: Record) -> dict[str, bytes | None]:
    """Every record unchanged; only tombstones and oversized records reach the DLQ."""
    return {"key": record.key, "value": record.value}


class JsonProcessor:
    """Parse the value as a JSON object and check required fields and their types.

    Subclass with ``fields`` (name → Python type) and ``output_schema``; override
    ``transform`` to shape the output row. Errors get distinct DLQ error types.
    """

    fields: ClassVar[dict[str, type | tuple[type, ...]]] = {}
    output_schema: ClassVar[str] = ""

    def process(self, record: Record) -> dict[str, Any] | list[dict[str, Any]] | None:
        return self.transform(self.parse(record))

    def parse(self, record: Record) -> dict[str, Any]:
        try:
            text = record.text()
        except UnicodeDecodeError as e:
            raise UndecodableValue(f"value is not UTF-8: {e.reason} at byte {e.start}") from None
        parsed = _parse_json(text)
        if not isinstance(parsed, dict):
            raise NotAnObject(f"value is a JSON {type(parsed).__name__}, not an object")
        self.validate(parsed)
        return parsed

    def validate(self, obj: dict[str, Any]) -> None:
        for name, expected in self.fields.items():
            if obj.get(name) is None:
                raise MissingField(f"required field {name!r} is missing or null")
            value = obj[name]
            if not _has_type(value, expected):
                raise WrongFieldType(
                    f"field {name!r} is {type(value).__name__}, expected {_type_name(expected)}"
                )
            if isinstance(value, str) and not _is_unicode(value):
                raise UndecodableValue(
                    f"field {name!r} holds an escaped lone surrogate: not valid Unicode text"
                )

    def transform(self, obj: dict[str, Any]) -> dict[str, Any] | list[dict[str, Any]] | None:
        return {name: obj[name] for name in self.fields}


class JsonEvents(JsonProcessor):
    """The demo's events: ``event_id``, ``user_id``, ``amount``, ``kind``."""

    fields: ClassVar[dict[str, type | tuple[type, ...]]] = {
        "event_id": str,
        "user_id": int,
        "amount": (float, int),
        "kind": str,
    }
    output_schema = "event_id STRING, user_id BIGINT, amount DOUBLE, kind STRING"

    def transform(self, obj: dict[str, Any]) -> dict[str, Any]:
        if not -(2**63) <= obj["user_id"] < 2**63:
            raise NumberOutOfRange(f"field 'user_id' = {obj['user_id']} does not fit a BIGINT")
        try:
            amount = float(obj["amount"])
        except OverflowError:
            amount = math.inf
        if not math.isfinite(amount):
            raise NumberOutOfRange("field 'amount' does not fit a DOUBLE (not a finite number)")
        return {**{k: obj[k] for k in ("event_id", "user_id", "kind")}, "amount": amount}


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise NestingTooDeep("value nests arrays or objects too deeply to parse") from None
    except json.JSONDecodeError as e:
        raise InvalidJson(f"value is not JSON: {str(e)[:200]}") from None
    except ValueError as e:  # Python refuses to turn very long digit strings into ints
        raise NumberOutOfRange(f"value holds a number too long to parse: {str(e)[:200]}") from None


def _reject_constant(name: str) -> float:
    raise InvalidJson(f"value is not JSON: {name} is not a JSON number")


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return expected is bool or (isinstance(expected, tuple) and bool in expected)
    return isinstance(value, expected)


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)
