"""Fixtures for the unit tests: throw-away Python modules written into ``tmp_path``, and
micro-batches of the bench's records."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator

import pytest
from pyspark.sql import functions as F

from benchmarks.batches import kafka_rows, records

PER_BATCH = 60


@pytest.fixture
def make_module(tmp_path, monkeypatch) -> Iterator[Callable[..., str]]:
    """``make_module(source)`` writes an importable module and returns its (unique) name.

    The folder goes on ``sys.path`` for the test only; the modules leave ``sys.modules`` after.
    """
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    names: list[str] = []

    def make(source: str, name: str | None = None) -> str:
        name = name or f"unit_module_{uuid.uuid4().hex[:12]}"
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def batches(spark):
    """``batches(n)``: batch ``n`` of ``PER_BATCH`` of the bench's records on one partition
    (5 % bad: every batch has output and DLQ rows), as Spark's Kafka source gives them."""
    rows = kafka_rows(spark, records(PER_BATCH * 4, hours=1), partitions=1).cache()
    yield lambda n: rows.where(F.col("offset").between(n * PER_BATCH, (n + 1) * PER_BATCH - 1))
    rows.unpersist()
