"""pytest fixtures, registered through the ``pytest11`` entry point.

- ``kafka_utils``: one embedded broker for the whole run (or the backend chosen by
  ``$KAFKA_UTILS_BACKEND``), torn down at the end.
- ``spark``: one local SparkSession with the Kafka connector and Delta.
- ``topic``: a factory making unique, created topics: ``topic(partitions=3)``.
- ``unique_name``: a factory of unique names for topics, groups and queries.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kafka_utils.errors import BackendUnavailableError
from kafka_utils.harness import KafkaUtils


def new_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def kafka_utils() -> Iterator[KafkaUtils]:
    utils = KafkaUtils()
    try:
        utils.setup()
    except BackendUnavailableError as e:
        pytest.skip(str(e))
    try:
        yield utils
    finally:
        utils.teardown()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from jobs.spark_session import build_spark_session

    session = build_spark_session("kafka-utils-tests", conf={"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture
def unique_name() -> Callable[..., str]:
    return new_name


@pytest.fixture
def topic(kafka_utils: KafkaUtils) -> Iterator[Callable[..., str]]:
    created: list[str] = []

    def make(
        partitions: int = 1, replication_factor: int = 1, prefix: str = "topic", **config: str
    ) -> str:
        name = new_name(prefix)
        kafka_utils.create_topics([name], partitions, replication_factor, config or None)
        created.append(name)
        return name

    yield make
    if created:
        try:
            kafka_utils.delete_topics(created)
        except AssertionError as e:  # cleanup only: a slow deletion must not fail the test
            warnings.warn(f"topics not deleted after the test: {e}", stacklevel=1)
