"""The built-in JSON processors as Spark SQL expressions (``@sql_processor``): the checks,
error types and outputs of ``jobs.processors.builtin``, record for record, in the JVM.

The value is parsed once into a VARIANT (``try_parse_json``), wrapped in ``[ ]`` so that text
after the first JSON value (which Spark's parser would ignore) makes it invalid, as Python's
``json`` does. Where Spark's parser and Python's differ, the text is prepared first and only
on the rows that need it (rare ones; each ``CASE`` branch runs for its rows alone):

- a lone UTF-16 surrogate escape (``"\\ud800"``): Python keeps it in the string, Spark refuses
  the whole document. It is replaced by a placeholder escape for the parse, and a second parse
  with another placeholder tells which fields held one (their values differ);
- an integer of 1 001 to 4 300 digits: over Jackson's number length, within Python's. It is
  replaced by an integer of 401 digits, which classifies the same (beyond BIGINT and DOUBLE);
- duplicate keys: the last one wins in both (``spark.sql.variant.allowDuplicateKeys`` is set
  while the expressions are built: Spark reads it then).

Known differences, none in the bad-input catalogue: nesting deeper than Python's recursion
limit (≈ 1 000 minus the stack in use) but within Jackson's 1 000 levels is valid here; nesting
that is not a plain chain of openers is ``InvalidJson`` here, ``NestingTooDeep`` there; a
non-integer number over 1 000 characters is ``InvalidJson`` here; ``InvalidJson`` and
``UndecodableValue`` messages say the same thing in other words.
"""

from __future__ import annotations

import functools
from typing import Literal

from pyspark import SparkContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.core.failures import (
    InvalidJson,
    MissingField,
    NestingTooDeep,
    NotAnObject,
    NumberOutOfRange,
    UndecodableValue,
    WrongFieldType,
)
from jobs.processor import error, first_error, sql_processor

__all__ = ["EVENT_FIELDS", "json_checks", "json_events"]

FieldKind = Literal["str", "int", "number"]
EVENT_FIELDS: dict[str, FieldKind] = {
    "event_id": "str",
    "user_id": "int",
    "amount": "number",
    "kind": "str",
}
_EXPECTED = {"str": "str", "int": "int", "number": "float or int"}
_OUTPUT_TYPE = {"str": "string", "int": "bigint", "number": "double"}
_HEX = "[0-9a-fA-F]"
_HIGH, _LOW = rf"\\u[dD][89abAB]{_HEX}{{2}}", rf"\\u[dD][c-fC-F]{_HEX}{{2}}"
LONE_SURROGATE = rf"(?<!\\)((?:\\\\)*)(?:{_HIGH}(?!{_LOW})|(?<!{_HIGH}){_LOW})"
_NOT_IN_NUMBER = r"(?<![0-9.eE+\-])"
LONG_INTEGER = _NOT_IN_NUMBER + r"(-?)[0-9]{1001,4300}(?![0-9.eE])"
HUGE_INTEGER = _NOT_IN_NUMBER + r"-?[0-9]{4301,}(?![0-9.eE])"
NESTING_CHAIN = r'(?:\[\s*|\{\s*"(?:[^"\\]|\\.)*"\s*:\s*){1000}'
CONSTANT = r'(?<![\w"])(-?Infinity|NaN)(?![\w"])'


@sql_processor("event_id STRING, user_id BIGINT, amount DOUBLE, kind STRING")
def json_events(records: DataFrame) -> DataFrame:
    """The demo's events, as ``jobs.processors.builtin.JsonEvents``."""
    return json_checks(records, EVENT_FIELDS)


def json_checks(records: DataFrame, fields: dict[str, FieldKind]) -> DataFrame:
    """``records`` with ``output`` (one column per field), ``error_type``, ``error_message``.

    Fields are checked in order: present and not null, of their kind (``int``: a JSON integer,
    ``number``: integer or not, never a boolean), no lone surrogate in a string; then integers
    must fit a BIGINT and numbers a DOUBLE.
    """
    stages = _stages(tuple(fields.items()), id(SparkContext._gateway))
    spark = records.sparkSession
    previous = spark.conf.get("spark.sql.variant.allowDuplicateKeys", None)
    spark.conf.set("spark.sql.variant.allowDuplicateKeys", "true")
    try:
        parsed = records
        for columns in stages[:-3]:
            parsed = parsed.select("*", *columns)
    finally:
        if previous is None:
            spark.conf.unset("spark.sql.variant.allowDuplicateKeys")
        else:
            spark.conf.set("spark.sql.variant.allowDuplicateKeys", previous)
    checked = parsed.select("*", *stages[-3])
    inner = [c for c in checked.columns if c.startswith("_json_") or c == "_doc_error"]
    # The error struct in a column of its own, read twice: an expression inlined twice would
    # be evaluated twice per row.
    with_error = checked.select("*", *stages[-2])
    return with_error.select("*", *stages[-1]).drop(*inner, "_json_error")


@functools.cache
def _stages(fields: tuple[tuple[str, FieldKind], ...], gateway: int) -> list[list[Column]]:
    """The columns each ``select`` of ``json_checks`` adds, built once per field list and JVM:
    building them costs thousands of calls into the JVM, about a second per micro-batch."""
    kinds = dict(fields)
    found = F.coalesce(F.col("_doc_error"), _field_error(kinds), _range_error(kinds))
    return [
        *_parse_stages(kinds),
        [_document_error().alias("_doc_error"), _output(kinds).alias("output")],
        [found.alias("_json_error")],
        [
            F.col("_json_error.type").alias("error_type"),
            F.col("_json_error.message").alias("error_message"),
        ],
    ]


def _parse(text: Column) -> Column:
    return F.call_function("try_parse_json", F.concat(F.lit("["), text, F.lit("]")))


def _parse_stages(fields: dict[str, FieldKind]) -> list[list[Column]]:
    """The VARIANT of each value; the rare rows Spark's parser refuses and Python's does not
    (lone surrogate escapes, long integers) are prepared and parsed again, they alone."""
    text = F.col("value").cast("string")
    first = [
        text.alias("_json_text"),
        F.call_function("is_valid_utf8", text).alias("_json_utf8"),
        _parse(text).alias("_json_v1"),
    ]
    maybe = F.contains(text, F.lit("\\ud")) | F.contains(text, F.lit("\\uD"))
    lone = F.col("_json_v1").isNull() & maybe & text.rlike(LONE_SURROGATE)
    clean = F.when(
        F.col("_json_lone"), F.regexp_replace("_json_text", LONE_SURROGATE, "$1\\\\ufffd")
    ).otherwise(F.col("_json_text"))
    v2 = F.when(F.col("_json_lone"), _parse(clean)).otherwise(F.col("_json_v1"))
    too_long = F.col("_json_v2").isNull() & clean.rlike(LONG_INTEGER)
    shorter = F.regexp_replace(clean, LONG_INTEGER, "$1" + "1" + "0" * 400)
    other = F.regexp_replace("_json_text", LONE_SURROGATE, "$1\\\\ufffe")
    prepared = [
        F.when(too_long, shorter).otherwise(clean).alias("_json_doc"),
        F.when(too_long, _parse(shorter)).otherwise(F.col("_json_v2")).alias("_json_v"),
        F.when(F.col("_json_lone"), _parse(other)).alias("_json_vb"),
    ]
    struct_type = ", ".join(f"`{name}`: variant" for name in fields)
    objects = [
        F.expr(f"try_variant_get(_json_v, '$[0]', 'struct<{struct_type}>')").alias("_json_obj"),
        F.expr(f"try_variant_get(_json_vb, '$[0]', 'struct<{struct_type}>')").alias("_json_objb"),
    ]
    schemas = [
        F.call_function("schema_of_variant", _field(name)).alias(f"_json_schema_{name}")
        for name in fields
    ]
    numbers = [
        _number(name).alias(f"_json_number_{name}") for name, k in fields.items() if k == "number"
    ]
    return [
        first,
        [lone.alias("_json_lone")],
        [v2.alias("_json_v2")],
        prepared,
        objects,
        schemas,
        numbers,
    ]


def _document_error() -> Column:
    """Why the value is not a JSON object, as ``JsonProcessor.parse`` would say it."""
    text, v = F.col("_json_text"), F.col("_json_v")
    top = F.expr("try_variant_get(_json_v, '$[0]')")
    extra = F.expr("try_variant_get(_json_v, '$[1]')").isNotNull()
    return first_error(
        (~F.col("_json_utf8"), error(UndecodableValue.error_type, _not_utf8(text))),
        (
            v.isNull() & F.col("_json_doc").rlike(HUGE_INTEGER),
            error(
                NumberOutOfRange.error_type,
                "value holds a number too long to parse: Exceeds the limit (4300 digits) for "
                "integer string conversion",
            ),
        ),
        (
            v.isNull() & F.col("_json_doc").rlike(NESTING_CHAIN),
            error(NestingTooDeep.error_type, "value nests arrays or objects too deeply to parse"),
        ),
        (v.isNull(), error(InvalidJson.error_type, _invalid_message(text))),
        (
            F.col("_json_obj").isNull() & top.isNull(),
            error(InvalidJson.error_type, "value is not JSON: Expecting value"),
        ),
        (extra, error(InvalidJson.error_type, "value is not JSON: Extra data")),
        (
            F.col("_json_obj").isNull(),
            error(
                NotAnObject.error_type,
                F.format_string(
                    "value is a JSON %s, not an object", _python_type(top, F.trim(text))
                ),
            ),
        ),
    )


def _not_utf8(text: Column) -> Column:
    valid = F.call_function("make_valid_utf8", text)
    before = F.substring_index(valid, "\ufffd", 1)
    return F.format_string("value is not UTF-8: invalid bytes at byte %d", F.octet_length(before))


def _invalid_message(text: Column) -> Column:
    constant = F.regexp_extract(text, CONSTANT, 1)
    return (
        F.when(
            text.startswith("\ufeff"),
            F.lit("value is not JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
        )
        .when(F.trim(text) == "", F.lit("value is not JSON: Expecting value"))
        .when(
            F.call_function("try_parse_json", text).isNotNull(),
            F.lit("value is not JSON: Extra data"),
        )
        .when(
            constant != "",
            F.format_string("value is not JSON: %s is not a JSON number", constant),
        )
        .otherwise(F.lit("value is not JSON: Spark's JSON parser refused it"))
    )


def _python_type(value: Column, literal: Column, schema: Column | None = None) -> Column:
    """The Python type name ``json.loads`` gives ``value``; ``literal``, the value's JSON text,
    tells an integer from a float where the VARIANT does not (4.0 and 2**64 are decimals)."""
    if schema is None:
        schema = F.call_function("schema_of_variant", value)
    integer = literal.rlike(r"^-?[0-9]+$")
    return (
        F.when(schema == "STRING", F.lit("str"))
        .when(schema == "BOOLEAN", F.lit("bool"))
        .when(schema == "BIGINT", F.lit("int"))
        .when(schema == "VOID", F.lit("NoneType"))
        .when(schema.startswith("OBJECT"), F.lit("dict"))
        .when(schema.startswith("ARRAY"), F.lit("list"))
        .when(
            schema.endswith(",0)") | (schema == "DOUBLE"), F.when(integer, "int").otherwise("float")
        )
        .otherwise(F.lit("float"))
    )


def _literal(name: str) -> Column:
    """The field's JSON text (a number as written: integer or not), read again only for the
    rows that ask; ``get_json_object`` keeps whole-stage codegen, ``from_json`` would not.
    Under duplicate keys it reads the first, where Python keeps the last."""
    return F.get_json_object(F.col("_json_doc"), f"$.{name}")


def _field(name: str) -> Column:
    return F.col("_json_obj")[name]


def _field_type(name: str) -> Column:
    schema = F.col(f"_json_schema_{name}")
    return _python_type(_field(name), _literal(name), schema)


def _field_error(fields: dict[str, FieldKind]) -> Column:
    checks = []
    for name, kind in fields.items():
        value = _field(name)
        missing = value.isNull() | F.call_function("is_variant_null", value)
        found = _field_type(name)
        wrong = ~found.isin(*_EXPECTED[kind].split(" or "))
        checks.append(
            (missing, error(MissingField.error_type, f"required field {name!r} is missing or null"))
        )
        checks.append(
            (
                wrong,
                error(
                    WrongFieldType.error_type,
                    F.format_string(f"field {name!r} is %s, expected {_EXPECTED[kind]}", found),
                ),
            )
        )
        if kind == "str":
            other = F.col("_json_objb")[name]
            lone = F.col("_json_lone") & ~_as(value, "string").eqNullSafe(_as(other, "string"))
            checks.append(
                (
                    lone,
                    error(
                        UndecodableValue.error_type,
                        f"field {name!r} holds an escaped lone surrogate: not valid Unicode text",
                    ),
                )
            )
    return first_error(*checks)


def _as(value: Column, type_name: str) -> Column:
    return F.call_function("try_variant_get", value, F.lit("$"), F.lit(type_name))


def _number(name: str) -> Column:
    """The field as Python's ``float()`` makes it: a zero decimal keeps the literal's sign."""
    value = _field(name)
    double = _as(value, "double")
    schema = F.col(f"_json_schema_{name}")
    negative = _literal(name).startswith("-")
    signed_zero = schema.startswith("DECIMAL") & (double == 0) & negative
    return F.when(signed_zero, F.lit(-0.0)).otherwise(double)


def _range_error(fields: dict[str, FieldKind]) -> Column:
    checks = []
    for name, kind in fields.items():
        if kind == "int":
            schema = F.col(f"_json_schema_{name}")
            literal = _literal(name)
            checks.append(
                (
                    schema != "BIGINT",
                    error(
                        NumberOutOfRange.error_type,
                        F.format_string(f"field {name!r} = %s does not fit a BIGINT", literal),
                    ),
                )
            )
        elif kind == "number":
            number = F.col(f"_json_number_{name}")
            finite = ~F.isnan(number) & (F.abs(number) != float("inf"))
            checks.append(
                (
                    ~finite,
                    error(
                        NumberOutOfRange.error_type,
                        f"field {name!r} does not fit a DOUBLE (not a finite number)",
                    ),
                )
            )
    return first_error(*checks) if checks else F.lit(None)


def _output(fields: dict[str, FieldKind]) -> Column:
    return F.struct(
        *[
            (
                F.col(f"_json_number_{name}")
                if kind == "number"
                else _as(_field(name), _OUTPUT_TYPE[kind])
            ).alias(name)
            for name, kind in fields.items()
        ]
    )
