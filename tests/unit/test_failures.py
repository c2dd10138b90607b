"""``jobs.core.failures``: the DLQ's error type, message and stack for any exception."""

from __future__ import annotations

import pytest

from jobs.core import failures
from jobs.core.failures import (
    MAX_MESSAGE_CHARS,
    MAX_STACK_CHARS,
    InvalidJson,
    NullValue,
    OutputSchemaMismatch,
    RecordError,
    RecordTooLarge,
    error_message,
    error_stack,
    error_type,
)


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


def raised(error: BaseException) -> BaseException:
    """The error with a traceback, as the processor wrapper sees it."""
    try:
        raise error
    except BaseException as e:
        return e


@pytest.mark.parametrize(
    "cls",
    [
        NullValue,
        RecordTooLarge,
        InvalidJson,
        OutputSchemaMismatch,
        failures.MissingField,
        failures.TimestampOutOfRange,
        failures.NestingTooDeep,
        failures.NumberOutOfRange,
    ],
)
def test_record_errors_name_themselves(cls):
    assert error_type(cls("x")) == cls.__name__
    assert cls.error_type == cls.__name__


def test_subclass_of_a_record_error_gets_its_own_name():
    class StrictJson(InvalidJson):
        pass

    assert error_type(StrictJson("x")) == "StrictJson"
    assert error_type(InvalidJson("x")) == "InvalidJson"


def test_explicit_error_type_wins():
    class Custom(RecordError):
        error_type = "BadPayload"

    assert error_type(Custom()) == "BadPayload"


@pytest.mark.parametrize("named", [404, "", None, b"Bytes"])
def test_an_error_type_that_is_not_a_name_falls_back_to_the_class_name(named):
    class Coded(RecordError):
        def __init__(self) -> None:
            self.error_type = named

    assert error_type(Coded()) == "Coded"


def test_an_error_type_with_a_lone_surrogate_is_valid_utf8():
    class Odd(RecordError):
        error_type = "Odd\udcff"

    assert error_type(Odd()) == "Odd\\udcff"


@pytest.mark.parametrize(
    ("error", "name"),
    [
        (ValueError("v"), "ValueError"),
        (KeyError("k"), "KeyError"),
        (ZeroDivisionError(), "ZeroDivisionError"),
        (SystemExit(3), "SystemExit"),
        (Unprintable(), "Unprintable"),
    ],
)
def test_plain_exceptions_are_their_class_name(error, name):
    assert error_type(error) == name


def test_message():
    assert error_message(ValueError("bad value 7")) == "bad value 7"
    assert error_message(KeyError("user_id")) == "'user_id'"


def test_message_that_cannot_be_printed():
    text = error_message(Unprintable())
    assert "could not be printed" in text
    assert "RuntimeError" in text


def test_huge_message_is_bounded():
    text = error_message(ValueError("x" * 1_000_000))
    assert len(text) == MAX_MESSAGE_CHARS
    assert text == "x" * MAX_MESSAGE_CHARS


def test_stack_holds_the_traceback():
    def deep_in_the_processor():
        raise ValueError("boom")

    try:
        deep_in_the_processor()
    except ValueError as e:
        stack = error_stack(e)
    assert stack.startswith("Traceback (most recent call last):")
    assert "deep_in_the_processor" in stack
    assert "test_failures.py" in stack
    assert stack.rstrip().endswith("ValueError: boom")


def test_stack_of_an_unprintable_exception_does_not_raise():
    stack = error_stack(raised(Unprintable()))
    assert "Unprintable" in stack


def test_huge_stack_is_bounded_and_keeps_the_end():
    stack = error_stack(raised(ValueError("y" * 100_000 + " THE END")))
    assert len(stack) == MAX_STACK_CHARS
    assert stack.rstrip().endswith("THE END")


def test_message_and_stack_are_valid_utf8_even_with_lone_surrogates():
    error = raised(ValueError(b"bad \xff byte".decode("utf-8", "surrogateescape")))
    message, stack = error_message(error), error_stack(error)
    assert message == "bad \\udcff byte"
    assert message.encode("utf-8")
    assert stack.encode("utf-8")
    assert "bad \\udcff byte" in stack


def test_unicode_messages_are_kept():
    assert error_message(ValueError("prix: 5 € ✓")) == "prix: 5 € ✓"


def test_escaped_surrogates_stay_within_the_bound():
    text = error_message(ValueError("\udcff" * MAX_MESSAGE_CHARS))
    assert len(text) == MAX_MESSAGE_CHARS
    assert text.encode("utf-8")
