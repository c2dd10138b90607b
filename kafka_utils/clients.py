"""The harness's own kafka-python clients: how they are made, and closed in bounded time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaTimeoutError
from kafka.net.compat import KafkaNetClient

from kafka_utils.quiet import client_id, quiet_here
from kafka_utils.records import StrSerializer
from kafka_utils.timing import scaled

__all__ = ["READER_CLIENT", "admin_client", "close_clients", "make_admin", "make_producer"]

logger = logging.getLogger(__name__)
PRODUCER_CLIENT = client_id("producer")
ADMIN_CLIENT = client_id("admin")
READER_CLIENT = client_id("reader")
CLOSE_SECONDS = 5.0
_CLOSER = client_id("close")
# kafka-python backs off up to 30 s between attempts to reach a broker that is down, and a
# producer's flush waits 30 s at most: after a whole cluster's restart, the next send failed.
RECONNECT = {"reconnect_backoff_max_ms": 1000}


def make_producer(bootstrap_servers: str, options: Mapping[str, Any]) -> KafkaProducer:
    """PySpark's helper's producer: ``str()`` serializers (bytes and None kept), 10 s request
    and blocking timeouts; ours also waits for every in-sync replica, and reconnects within a
    second of a broker's return (``RECONNECT``)."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        key_serializer=StrSerializer(),
        value_serializer=StrSerializer(),
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        max_block_ms=10_000,
        client_id=PRODUCER_CLIENT,
        **{**RECONNECT, **options},
    )


def make_admin(bootstrap_servers: str, options: Mapping[str, Any]) -> KafkaAdminClient:
    return admin_client(
        bootstrap_servers=bootstrap_servers, client_id=ADMIN_CLIENT, **{**RECONNECT, **options}
    )


def admin_client(**config: Any) -> KafkaAdminClient:
    """A ``KafkaAdminClient(**config)`` whose failed start leaves no thread behind.

    kafka-python starts the admin client's IO thread, then bootstraps; when the bootstrap times
    out (a broker still starting, a busy machine) the constructor raises and that thread runs
    on for the life of the process. Here it is stopped.
    """
    made: list[KafkaNetClient] = []

    def recorded(**arguments: Any) -> KafkaNetClient:
        made.append(KafkaNetClient(**arguments))
        return made[-1]

    try:
        return KafkaAdminClient(kafka_client=recorded, **config)
    except BaseException:
        for client in made:  # kafka-python offers no public way to stop it
            client.close()
            client._manager._net.stop(timeout_ms=2000)
        raise


def close_clients(admin: KafkaAdminClient | None, producer: KafkaProducer | None) -> None:
    """Close both, each in bounded time, whatever state their broker is in."""
    seconds = scaled(CLOSE_SECONDS)
    with quiet_here():
        if admin is not None:
            close_within(admin.close, seconds)
        if producer is not None:
            close_within(lambda: close_producer(producer, seconds), 2 * seconds)


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
