"""The processor's declared output schema, made a Spark ``StructType`` and checked."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from jobs.core.columns import RESERVED_OUTPUT_NAMES
from jobs.core.errors import ConfigError
from jobs.core.processor import LoadedProcessor

__all__ = ["resolve_output_schema"]


def resolve_output_schema(
    spark: SparkSession, loaded: LoadedProcessor, *, check_reserved: bool
) -> T.StructType:
    """The schema as a ``StructType`` (a DDL string is parsed by Spark).

    ``check_reserved``: the output goes to a Delta table, where the source columns are added,
    so the processor may not use their names.
    """
    declared = loaded.output_schema
    try:
        schema = (
            declared
            if isinstance(declared, T.StructType)
            else spark.createDataFrame([], str(declared)).schema
        )
    except Exception as e:
        raise ConfigError(
            "--processor", f"output_schema {declared!r} is not a valid DDL schema: {e}"
        ) from None
    clash = RESERVED_OUTPUT_NAMES & set(schema.fieldNames())
    if clash and check_reserved:
        raise ConfigError("--processor", f"output fields {sorted(clash)} are reserved")
    return schema
