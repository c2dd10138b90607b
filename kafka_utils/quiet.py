"""Keep the harness's own throw-away Kafka clients out of a user's logs, and their closing bounded.

kafka-python logs every refused connection at ERROR/WARNING. While a broker starts, the
readiness probe meets many; while a test's broker is already gone, closing our clients meets
more. Neither says anything to the user, so those records (and only those: of the calling
thread and of the named clients' IO threads) are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka.errors import KafkaTimeoutError

__all__ = ["close_producer", "close_within", "quiet_clients"]

logger = logging.getLogger(__name__)
_CLOSER = "kafka-utils-close"


@contextmanager
def quiet_clients(*client_ids: str) -> Iterator[None]:
    """Inside: drop kafka-python log records of this thread, of the threads of the clients
    named ``client_ids`` (their names hold the client id) and of :func:`close_within`'s."""
    caller = threading.get_ident()
    names = (_CLOSER, *client_ids)

    def keep(record: logging.LogRecord) -> bool:
        return record.thread != caller and not any(n in record.threadName for n in names)

    loggers = [
        item
        for name, item in list(logging.Logger.manager.loggerDict.items())
        if isinstance(item, logging.Logger) and (name == "kafka" or name.startswith("kafka."))
    ]
    for item in loggers:
        item.addFilter(keep)
    try:
        yield
    finally:
        for item in loggers:
            item.removeFilter(keep)


def close_within(close: Callable[[], Any], seconds: float) -> None:
    """Run ``close`` in a daemon thread and wait ``seconds`` at most.

    kafka-python's ``close()`` can wait on a broker that is gone; a teardown must not. A close
    that fails or overruns is logged at DEBUG and abandoned (its thread dies with the process).
    """

    def run() -> None:
        try:
            close()
        except Exception:
            logger.debug("closing a Kafka client failed", exc_info=True)

    thread = threading.Thread(target=run, name=_CLOSER, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        logger.debug("closing a Kafka client took over %.0f s; left to finish alone", seconds)


def close_producer(producer: Any, seconds: float) -> None:
    """Close a kafka-python producer, dropping what it could not send within ``seconds``.

    Its ``close(timeout)`` raises when records are still pending (the broker is gone) and then
    leaves its network thread running and retrying forever; so that case force-closes it.
    """
    try:
        producer.close(timeout=seconds)
    except KafkaTimeoutError:
        sender = getattr(producer, "_sender", None)  # kafka-python has no public way
        if sender is not None:
            sender.force_close()
            sender.join(seconds)
        producer.close(timeout=0)
