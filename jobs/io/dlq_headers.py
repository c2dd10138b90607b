"""Error facts as Kafka headers on DLQ topic records, in this job's words or Kafka Connect's.

``dlq``: ``dlq.error_type``, ``dlq.error_message``, ``dlq.processor``, ``dlq.batch_id``,
``dlq.topic``, ``dlq.partition``, ``dlq.offset``.

``connect``: the names Kafka Connect's ``DeadLetterQueueReporter`` writes with
``errors.deadletterqueue.context.headers.enable=true``, so tools made for Connect's DLQs read
ours: ``__connect.errors.topic``/``.partition``/``.offset`` (the source record),
``.connector.name`` (the job's ``--name``), ``.task.id`` (``0``: Spark has no task per record),
``.stage`` (``TRANSFORMATION``: the processor's step), ``.class.name`` (the processor),
``.exception.class.name`` (the error type), ``.exception.message`` and
``.exception.stacktrace``. Values are UTF-8 text, as Connect writes them.
"""

from __future__ import annotations

from typing import Literal

from pyspark.sql import Column
from pyspark.sql import functions as F

__all__ = ["CONNECT_PREFIX", "HeaderStyle", "error_headers"]

HeaderStyle = Literal["dlq", "connect", "both"]
CONNECT_PREFIX = "__connect.errors."
_DLQ_FACTS = (
    "error_type",
    "error_message",
    "processor",
    "batch_id",
    "topic",
    "partition",
    "offset",
)


def error_headers(style: HeaderStyle, job_name: str) -> Column:
    """An array of (key, value) header structs built from a DLQ row's columns."""
    pairs: list[tuple[str, Column]] = []
    if style in ("dlq", "both"):
        pairs += [(f"dlq.{name}", F.col(name)) for name in _DLQ_FACTS]
    if style in ("connect", "both"):
        pairs += connect_pairs(job_name)
    return F.array(
        *[
            F.struct(F.lit(key).alias("key"), value.cast("string").cast("binary").alias("value"))
            for key, value in pairs
        ]
    )


def connect_pairs(job_name: str) -> list[tuple[str, Column]]:
    facts = {
        "topic": F.col("topic"),
        "partition": F.col("partition"),
        "offset": F.col("offset"),
        "connector.name": F.lit(job_name),
        "task.id": F.lit("0"),
        "stage": F.lit("TRANSFORMATION"),
        "class.name": F.col("processor"),
        "exception.class.name": F.col("error_type"),
        "exception.message": F.col("error_message"),
        "exception.stacktrace": F.col("error_stack"),
    }
    return [(CONNECT_PREFIX + name, value) for name, value in facts.items()]
