"""Creating and deleting topics the way PySpark's helper does: existing or missing ones ignored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient
from kafka import errors as Errors

from kafka_utils.timing import ask_again

__all__ = ["create", "delete"]


def create(
    admin: KafkaAdminClient,
    names: Sequence[str],
    num_partitions: int,
    replication_factor: int,
    config: dict[str, str] | None,
    timeout: float,
) -> list[str]:
    """Ask for the topics; return those created now. One that exists is left as it is; any
    other refusal raises kafka-python's error for it (e.g. ``InvalidReplicationFactorError``).

    Just after a cluster starts, the admin client may learn of a controller from one broker
    before the broker it asked lists it (seen under load: ``UnknownBrokerIdError: 3``); that is
    asked again until ``timeout``."""
    wanted = {
        name: {
            "num_partitions": num_partitions,
            "replication_factor": replication_factor,
            "configs": dict(config or {}),
        }
        for name in names
    }
    result = ask_again(
        lambda: admin.create_topics(wanted, timeout_ms=int(timeout * 1000), raise_errors=False),
        _CONTROLLER_NOT_KNOWN_YET,
        timeout,
    )
    return _check(result["topics"], ignore=Errors.TopicAlreadyExistsError)


_CONTROLLER_NOT_KNOWN_YET = (Errors.UnknownBrokerIdError, Errors.NodeNotReadyError)


def delete(admin: KafkaAdminClient, names: Sequence[str], timeout: float) -> list[str]:
    """Delete the topics; return those deleted now. One that does not exist is ignored."""
    result = admin.delete_topics(list(names), timeout_ms=int(timeout * 1000), raise_errors=False)
    return _check(result["topics"], ignore=Errors.UnknownTopicOrPartitionError)


def _check(results: list[dict[str, Any]], ignore: type[Errors.KafkaError]) -> list[str]:
    done = []
    for topic in results:
        error = Errors.for_code(topic["error_code"])
        if error is Errors.NoError:
            done.append(topic["name"])
        elif error is not ignore:
            raise error(f"topic {topic['name']!r}: {topic.get('error_message') or error.message}")
    return done
