"""KeyValueList: PySpark's sorted list of pairs that also equals the older helper's dict."""

import copy
import pickle

import pytest

from kafka_utils import KeyValueList


def test_sorted_list_of_pairs_with_duplicates_kept():
    records = KeyValueList([("b", "2"), ("a", "1"), ("b", "2"), ("a", "0")])
    assert records == [("a", "0"), ("a", "1"), ("b", "2"), ("b", "2")]
    assert list(records) == [("a", "0"), ("a", "1"), ("b", "2"), ("b", "2")]
    assert records != [("a", "0"), ("a", "1"), ("b", "2")]
    assert len(records) == 4 and records[0] == ("a", "0")


def test_equals_the_dict_of_unique_keys_both_ways():
    records = KeyValueList([("k2", "v2"), ("k1", "v1")])
    assert records == {"k1": "v1", "k2": "v2"}
    assert {"k1": "v1", "k2": "v2"} == records  # noqa: SIM300 (the reflected comparison)
    assert records != {"k1": "v1"}
    assert not (records != {"k1": "v1", "k2": "v2"})  # noqa: SIM202 (__ne__ itself)


def test_the_dict_view_keeps_the_last_value_per_key_in_log_order():
    in_log_order = [("user1", "1"), ("user2", "1"), ("user1", "2"), ("user1", "10")]
    records = KeyValueList(in_log_order)
    assert records == {"user1": "10", "user2": "1"}  # "10" sorts before "2": log order wins
    assert records.as_dict() == {"user1": "10", "user2": "1"}
    assert records != {"user1": "2", "user2": "1"}


def test_none_keys_and_values_sort_first_instead_of_raising():
    records = KeyValueList([("k", "v"), (None, "x"), ("k", None)])
    assert records == [(None, "x"), ("k", None), ("k", "v")]
    assert records == {None: "x", "k": None}


def test_binary_pairs_compare_with_bytes_and_make_a_dict():
    records = KeyValueList([(bytearray(b"k"), bytearray(b"\xff"))])
    assert records == [(b"k", b"\xff")]
    assert records == {b"k": b"\xff"}


def test_an_empty_topic_equals_an_empty_list_and_dict():
    assert KeyValueList() == [] and KeyValueList() == {}


def test_behaves_as_a_list_elsewhere():
    records = KeyValueList([("a", "1")])
    with pytest.raises(TypeError):
        hash(records)
    assert repr(records) == "[('a', '1')]"
    assert ("a", "1") in records and "a" not in records
    assert records < [("b", "0")]
    assert copy.copy(records) == {"a": "1"}
    assert pickle.loads(pickle.dumps(records)) == {"a": "1"}
