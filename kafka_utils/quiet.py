"""Keep the harness's own Kafka clients out of a user's logs.

kafka-python logs at WARNING and ERROR what its clients meet: refused connections while a
broker starts or after a test stopped it, topics a test deleted, a busy machine's slow event
loop. For the harness's own clients (producer, admin client, readiness probe, offset readers:
client ids beginning with ``kafka-utils-``) that tells the user nothing, and what matters
reaches the test as an exception; so their threads' records below CRITICAL are dropped. Set
``KAFKA_UTILS_CLIENT_LOGS=1`` to keep them. Clients a test makes itself are never touched.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["CLIENT_PREFIX", "client_id", "quiet_here", "silence_own_clients"]

CLIENT_PREFIX = "kafka-utils-"
LOGS_ENV = "KAFKA_UTILS_CLIENT_LOGS"


def client_id(role: str) -> str:
    """The client id of one of the harness's own clients; their thread names contain it."""
    return f"{CLIENT_PREFIX}{role}"


def _keep(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.CRITICAL or CLIENT_PREFIX not in record.threadName


def _kafka_loggers() -> list[logging.Logger]:
    return [
        item
        for name, item in list(logging.Logger.manager.loggerDict.items())
        if isinstance(item, logging.Logger) and (name == "kafka" or name.startswith("kafka."))
    ]


def silence_own_clients() -> None:
    """Drop the records of the harness's clients' threads from every kafka-python logger
    (idempotent: called again when a client starts, for loggers made since)."""
    if not os.environ.get(LOGS_ENV):
        for item in _kafka_loggers():
            item.addFilter(_keep)


@contextmanager
def quiet_here() -> Iterator[None]:
    """Inside: also drop kafka-python records logged by this thread (a client being built)."""
    if os.environ.get(LOGS_ENV):
        yield
        return
    caller = threading.get_ident()

    def keep(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.CRITICAL or record.thread != caller

    loggers = _kafka_loggers()
    for item in loggers:
        item.addFilter(keep)
    try:
        yield
    finally:
        for item in loggers:
            item.removeFilter(keep)
