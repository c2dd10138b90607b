"""Eventual-consistency assertions for streaming tests: wait on a condition, never sleep blindly."""

from __future__ import annotations

import difflib
import json
import pprint
import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka_utils.errors import QueryFailedError
from kafka_utils.timing import time_scale

_MISSING = object()
Offsets = Mapping[str, Mapping[int, int]]


def assert_eventually(
    result_func: Callable[[], Any],
    expected: Any = _MISSING,
    timeout: float = 60,
    interval: float = 1.0,
    *,
    query: Any = None,
    message: str = "",
    retry_on: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call ``result_func`` until its result equals ``expected``, then return that result.

    As PySpark's helper: an exception of ``result_func`` propagates at once, and a timeout
    raises ``AssertionError("Condition not met within {timeout}s. Expected: …, Got: …")``.
    In addition: ``expected`` may be a predicate called with the result; exceptions of the
    types in ``retry_on`` count as "not yet"; with ``query`` (a StreamingQuery) a query that
    dies fails at once (:class:`QueryFailedError`, from the query's own exception);
    ``message`` heads the failure, which ends with a diff of expected and last seen. The
    deadline is ``timeout`` times ``$KAFKA_UTILS_TIME_SCALE`` (see :mod:`kafka_utils.timing`);
    the message names ``timeout`` as given, in PySpark's words.
    """
    if expected is _MISSING:
        raise TypeError("assert_eventually needs an expected value or a predicate")
    matches = expected if callable(expected) else (lambda result: result == expected)
    deadline = time.monotonic() + timeout * time_scale()
    last: Any = _MISSING
    last_error: BaseException | None = None
    while True:
        raise_if_query_died(query)
        try:
            last, last_error = result_func(), None
            if matches(last):
                return last
        except retry_on as e:
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    raise AssertionError(_timeout_message(expected, last, last_error, timeout, message))


def _timeout_message(
    expected: Any, last: Any, error: BaseException | None, timeout: float, message: str
) -> str:
    got = "no result" if last is _MISSING else last
    if callable(expected):
        name = getattr(expected, "__name__", repr(expected))
        head = f"Condition not met within {timeout}s. Expected: {name}(result) true, Got: {got}"
    else:
        head = f"Condition not met within {timeout}s. Expected: {expected}, Got: {got}"
    head = f"{message}: {head}" if message else head
    if error is not None:
        head += f"\nThe last call raised {type(error).__name__}: {error}"
    if last is _MISSING or callable(expected):
        return head
    diff = difflib.unified_diff(
        _show(expected).splitlines(), _show(last).splitlines(), "expected", "last seen", lineterm=""
    )
    return "\n".join([head, *diff])


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


def wait_for_query_alive(query: Any, timeout: float = 60, interval: float = 1.0) -> None:
    """Wait until ``query`` runs a trigger, has data available or has completed a batch.

    As PySpark's helper: a query that failed raises its own exception (a
    ``StreamingQueryException``) at once; a timeout raises ``AssertionError("Query did not
    become active within {timeout}s.")``. In addition, a query stopped without an error fails
    at once (:class:`QueryFailedError`), and the query is polled at least every 0.2 s. The
    deadline is ``timeout`` times ``$KAFKA_UTILS_TIME_SCALE``.
    """
    deadline = time.monotonic() + timeout * time_scale()
    while True:
        if _alive(query):
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"Query did not become active within {timeout}s.")
        time.sleep(min(interval, 0.2, max(0.0, deadline - time.monotonic())))


def _alive(query: Any) -> bool:
    error = query.exception()
    if error is not None:
        raise error
    status = query.status
    if status["isDataAvailable"] or status["isTriggerActive"] or query.lastProgress:
        return True
    raise_if_query_died(query)  # stopped before any batch: its error, or "stopped"
    return False


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
