"""What processor authors import: ``from jobs.processor import Record, processor``.

A processor is named ``package.module:object`` on the command line. It is a function called
once per record, or a class with ``process(record)`` and optional ``open()``/``close()``. It
receives a read-only ``Record`` (key and value as bytes) and returns a dict, a list of dicts or
None (filtered); raising sends the record to the DLQ. ``@processor("id LONG, name STRING")``
declares its output schema. The contract is implemented in ``jobs.core.processor``.

A processor that is pure Spark SQL is a function ``DataFrame -> DataFrame`` declared with
``@sql_processor("id LONG, name STRING")``: it adds the columns ``output`` (a struct of the
declared schema), ``error_type`` and ``error_message`` (NULL when the record succeeded), one row
per record; ``error`` and ``first_error`` build the error columns from a list of checks. It
runs in the JVM (``jobs.pipeline.apply_sql``).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.core.processor import Headers, Record, processor, sql_processor

__all__ = ["Headers", "Record", "error", "first_error", "processor", "sql_processor"]


def error(error_type: str, message: Column | str) -> Column:
    """An ``(error_type, error_message)`` struct for a ``CASE`` of checks."""
    text = message if isinstance(message, Column) else F.lit(message)
    return F.struct(F.lit(error_type).alias("type"), text.alias("message"))


def first_error(*checks: tuple[Column, Column]) -> Column:
    """The error of the first ``(condition, error(...))`` that holds, NULL when none does."""
    found = F.when(checks[0][0], checks[0][1])
    for condition, value in checks[1:]:
        found = found.when(condition, value)
    return found
