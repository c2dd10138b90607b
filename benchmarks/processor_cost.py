"""The processor's Python work alone: the job's own ``ProcessorRun`` on an Arrow batch of the
benchmark's records, outside Spark's executors (run in a Spark worker's driver, which parses
the DDL schema). Set against the profile's processor step, it separates the per-record Python
work from Spark's Arrow exchange with its Python workers.
"""

from __future__ import annotations

import logging
import time

import pyarrow as pa

from jobs.demo.sample_data import SampleRecord

log = logging.getLogger("benchmarks")
PROCESSOR = "jobs.processors.builtin:JsonEvents"
HEADERS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))


def arrow_batch(records: list[SampleRecord]) -> pa.RecordBatch:
    """The records as the pipeline's stamped batch reaches ``mapInArrow``."""
    n = len(records)
    ts = pa.array([r.timestamp_ms * 1000 for r in records], pa.int64())
    ts = ts.cast(pa.timestamp("us", tz="UTC"))
    return pa.RecordBatch.from_pydict(
        {
            "topic": pa.array(["bench"] * n),
            "partition": pa.array([i % 6 for i in range(n)], pa.int32()),
            "offset": pa.array(range(n), pa.int64()),
            "timestamp": ts,
            "timestamp_type": pa.array([0] * n, pa.int32()),
            "key": pa.array([r.key for r in records], pa.binary()),
            "value": pa.array([r.value for r in records], pa.binary()),
            "headers": pa.nulls(n, HEADERS),
            "batch_id": pa.array([0] * n, pa.int64()),
            "ingested_at": ts,
            "date": pa.array(["2026-01-01"] * n),
            "hour": pa.array(["00"] * n),
        }
    )


def microseconds_per_record(records: list[SampleRecord], repeats: int = 3) -> float | None:
    """Best of ``repeats`` runs; None (logged) when the job's internals no longer fit."""
    try:
        from pyspark.sql.pandas.types import to_arrow_schema

        from jobs.core.processor import load_processor
        from jobs.io.schemas import processed_schema
        from jobs.pipeline.apply import ProcessorRun

        loaded = load_processor(PROCESSOR)
        schema = _struct(loaded.output_schema)
        run = ProcessorRun(PROCESSOR, schema, 1_048_576)
        arrow_schema = to_arrow_schema(processed_schema(schema), timezone="UTC")
        batch = arrow_batch(records)
        best = float("inf")
        with loaded.opened() as call:
            for _ in range(repeats):
                began = time.perf_counter()
                run.process_batch(batch, call, arrow_schema)
                best = min(best, time.perf_counter() - began)
    except (TypeError, AttributeError, ImportError, ValueError) as e:
        log.warning("processor cost not measured: %s: %s", type(e).__name__, e)
        return None
    return best / len(records) * 1e6


def _struct(declared):
    """The declared output schema as a StructType (a DDL string needs a running Spark)."""
    from pyspark.sql.types import StructType, _parse_datatype_string

    return declared if isinstance(declared, StructType) else _parse_datatype_string(declared)
