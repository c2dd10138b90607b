"""Record-level failures: what sends a record to the DLQ, and the error_type it gets there.

A failing record is data, not an exception that stops the stream: the processor wrapper turns
each failure into a DLQ row whose ``error_type`` says what went wrong.
"""

from __future__ import annotations

import traceback

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_STACK_CHARS",
    "InvalidJson",
    "MissingField",
    "NestingTooDeep",
    "NotAnObject",
    "NullValue",
    "NumberOutOfRange",
    "OutputSchemaMismatch",
    "RecordError",
    "RecordTooLarge",
    "TimestampOutOfRange",
    "UndecodableValue",
    "WrongFieldType",
    "error_message",
    "error_stack",
    "error_type",
]

MAX_MESSAGE_CHARS = 2_000
MAX_STACK_CHARS = 8_000


class RecordError(Exception):
    """A failure that knows its DLQ ``error_type`` (the class name unless set)."""

    error_type: str = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.error_type = cls.__dict__.get("error_type") or cls.__name__


class NullValue(RecordError):
    """The record's value is null (a tombstone)."""


class RecordTooLarge(RecordError):
    """Key plus value is over ``--max-record-bytes``."""


class TimestampOutOfRange(RecordError):
    """The Kafka timestamp lies outside the years 1 to 9999 that a Python datetime holds."""


class UndecodableValue(RecordError):
    """The value is not valid UTF-8."""


class InvalidJson(RecordError):
    """The value is UTF-8 but not JSON."""


class NestingTooDeep(RecordError):
    """The value nests arrays or objects deeper than the JSON parser can follow."""


class NumberOutOfRange(RecordError):
    """A number is too large for its field, or has too many digits to parse."""


class NotAnObject(RecordError):
    """The value is JSON but not an object."""


class MissingField(RecordError):
    """A required field is absent or null."""


class WrongFieldType(RecordError):
    """A required field has another type than declared."""


class OutputSchemaMismatch(RecordError):
    """The processor returned something that does not fit its declared output schema."""


def error_type(error: BaseException) -> str:
    """``RecordError`` subclasses name themselves (a non-empty string); anything else is its
    exception class name."""
    named = getattr(error, "error_type", None) if isinstance(error, RecordError) else None
    return _utf8(named) if isinstance(named, str) and named else type(error).__name__


def error_message(error: BaseException) -> str:
    """The message, even when ``str(error)`` itself raises; cut to a bounded length."""
    try:
        text = str(error)
    except Exception as e:
        text = f"<message could not be printed: {type(e).__name__}>"
    return _utf8(text)[:MAX_MESSAGE_CHARS]


def error_stack(error: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception(error))
    except Exception:
        text = f"{type(error).__name__} (stack could not be formatted)"
    return _utf8(text)[-MAX_STACK_CHARS:]


def _utf8(text: str) -> str:
    """Lone surrogates (e.g. from ``surrogateescape``) escaped: Arrow strings must be UTF-8."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")
