"""Eventual-consistency assertions for streaming tests: wait on a condition, never sleep blindly."""

from __future__ import annotations

import difflib
import json
import pprint
import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka_utils.errors import QueryFailedError

_MISSING = object()
Offsets = Mapping[str, Mapping[int, int]]


def assert_eventually(
    result_func: Callable[[], Any],
    expected: Any = _MISSING,
    timeout: float = 60.0,
    interval: float = 1.0,
    *,
    query: Any = None,
    message: str = "",
) -> Any:
    """Call ``result_func`` until its result matches, then return that result.

    ``expected`` is a value compared with ``==``, or a predicate called with the result. With
    ``query`` (a StreamingQuery), a query that dies fails the assertion at once with the query's
    own exception. On timeout the AssertionError shows expected vs last seen as a diff.
    """
    if expected is _MISSING:
        raise TypeError("assert_eventually needs an expected value or a predicate")
    matches = expected if callable(expected) else (lambda result: result == expected)
    deadline = time.monotonic() + timeout
    last: Any = _MISSING
    last_error: Exception | None = None
    while True:
        raise_if_query_died(query)
        try:
            last, last_error = result_func(), None
            if matches(last):
                return last
        except AssertionError:
            raise
        except Exception as e:
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    raise AssertionError(_timeout_message(expected, last, last_error, timeout, message))


def _timeout_message(
    expected: Any, last: Any, error: Exception | None, timeout: float, message: str
) -> str:
    head = f"{message + ': ' if message else ''}condition not met within {timeout:g}s"
    if error is not None:
        head += f"; the last call raised {type(error).__name__}: {error}"
    if last is _MISSING:
        return head + " (no result was ever returned)"
    if callable(expected):
        name = getattr(expected, "__name__", repr(expected))
        return f"{head}\npredicate {name} was false for the last seen:\n{_show(last)}"
    diff = "\n".join(
        difflib.unified_diff(
            _show(expected).splitlines(),
            _show(last).splitlines(),
            "expected",
            "last seen",
            lineterm="",
        )
    )
    return f"{head}\n{diff}"


def _show(value: Any) -> str:
    return pprint.pformat(value, width=88, sort_dicts=True)


def raise_if_query_died(query: Any) -> None:
    """Fail at once, with the query's own exception, if a streaming query has stopped."""
    if query is None or query.isActive:
        return
    error = query.exception()
    name = query.name or query.id
    if error is not None:
        raise QueryFailedError(f"streaming query {name} died: {error}") from error
    raise QueryFailedError(f"streaming query {name} stopped while a test was waiting on it")


def wait_for_query_alive(query: Any, timeout: float = 60.0, interval: float = 1.0) -> None:
    """Wait until ``query`` is active and has started its first trigger."""

    def started() -> bool:
        status = query.status
        return bool(query.isActive and (status["isTriggerActive"] or query.lastProgress))

    assert_eventually(
        started,
        True,
        timeout,
        min(interval, 0.2),
        query=query,
        message=f"query {query.name or query.id} never became alive",
    )


def processed_offsets(query: Any) -> dict[str, dict[int, int]]:
    """The end offsets, per topic and partition, of the last completed batch of ``query``."""
    progress = query.lastProgress
    result: dict[str, dict[int, int]] = {}
    for source in (progress or {}).get("sources", []):
        end = source.get("endOffset")
        if isinstance(end, str):
            end = json.loads(end) if end.startswith("{") else None
        for topic, partitions in (end or {}).items():
            result.setdefault(topic, {}).update({int(p): int(o) for p, o in partitions.items()})
    return result


def caught_up(processed: Offsets, targets: Offsets) -> bool:
    return all(
        processed.get(topic, {}).get(partition, -1) >= end
        for topic, partitions in targets.items()
        for partition, end in partitions.items()
        if end > 0
    )
