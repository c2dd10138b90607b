"""Keep the harness's own throw-away Kafka clients out of a user's logs, and their closing bounded.

kafka-python logs every refused connection at ERROR/WARNING. While a broker starts, the
readiness probe meets many; while a test's broker is already gone, closing our clients meets
more. Neither says anything to the user, so those records (and only those: of the calling
thread and of the named clients' IO threads) are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["close_within", "quiet_clients"]

logger = logging.getLogger(__name__)
_CLOSER = "kafka-utils-close"


@contextmanager
def quiet_clients(*client_ids: str) -> Iterator[None]:
    """Inside: drop kafka-python log records of this thread, of those clients' IO threads and
    of :func:`close_within`'s threads."""
    caller = threading.get_ident()
    io_threads = (_CLOSER, *(f"kafka-io-{client_id}" for client_id in client_ids))

    def keep(record: logging.LogRecord) -> bool:
        return record.thread != caller and not record.threadName.startswith(io_threads)

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


def close_within(client: Any, seconds: float, **close_arguments: Any) -> None:
    """``client.close(**close_arguments)`` in a daemon thread, waited on for ``seconds`` at most.

    kafka-python's ``close()`` can wait on a broker that is gone; a teardown must not. A close
    that fails or overruns is logged at DEBUG and abandoned (its thread dies with the process).
    """

    def close() -> None:
        try:
            client.close(**close_arguments)
        except Exception:
            logger.debug("closing %r failed", client, exc_info=True)

    thread = threading.Thread(target=close, name=_CLOSER, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        logger.debug("closing %r took over %.0f s; left to finish on its own", client, seconds)
