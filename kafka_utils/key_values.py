"""``get_all_records``: a topic read through Spark, as both generations of PySpark's helper saw it.

PySpark's current helper returns a sorted list of ``(key, value)`` tuples, duplicates kept; its
older helper (and its API document) a ``{key: value}`` dict, the last value per key winning.
:class:`KeyValueList` is the list, and also equals that dict, so tests written for either pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["KeyValueList", "read_key_values"]


def _sort_key(pair: tuple[Any, Any]) -> tuple[tuple[bool, Any], ...]:
    return tuple((item is not None, item) for item in pair)  # None first, never compared


def _hashable(key: Any) -> Any:
    return bytes(key) if isinstance(key, bytearray) else key


class KeyValueList(list):
    """A sorted list of ``(key, value)`` tuples, duplicates kept, that also equals a dict.

    ``records == [("k", "v"), ("k", "v")]`` compares the lists, as PySpark's current helper
    does. ``records == {"k": "v"}`` compares :meth:`as_dict`: the last value per key in log
    order (partition, then offset), as PySpark's older helper built its dict; so the dict view
    never shows duplicates, the list does. Sorted with None before any other key or value
    (PySpark's ``sorted`` raises on a None key beside a string). Unhashable, like a list; its
    repr is the list's; ordering comparisons are the list's.
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, pairs_in_log_order: Iterable[tuple[Any, Any]] = ()) -> None:
        pairs = [tuple(pair) for pair in pairs_in_log_order]
        super().__init__(sorted(pairs, key=_sort_key))
        self._latest = {_hashable(key): value for key, value in pairs}

    def as_dict(self) -> dict[Any, Any]:
        """``{key: value}``, the last value per key in log order (BINARY keys as bytes)."""
        return dict(self._latest)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._latest == dict(other)
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal


def read_key_values(
    spark: Any, options: Mapping[str, str], topic: str, key_type: str, value_type: str
) -> KeyValueList:
    """Every record of ``topic`` now, by a Spark batch read, key and value CAST as asked."""
    rows = (
        spark.read.format("kafka")
        .options(**options)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
        .selectExpr(
            f"CAST(key AS {key_type}) AS key",
            f"CAST(value AS {value_type}) AS value",
            "partition",
            "offset",
        )
        .collect()
    )
    rows.sort(key=lambda row: (row.partition, row.offset))
    return KeyValueList((row.key, row.value) for row in rows)
