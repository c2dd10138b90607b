"""What send_messages and the producer accept, and the bytes they make of it."""

import pytest

from kafka_utils.records import Message, StrSerializer, as_message, serialize


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (1, b"1"),
        (1.5, b"1.5"),
        (True, b"True"),
        ("ключ", "ключ".encode()),
        (b"\x00\xff", b"\x00\xff"),
        (bytearray(b"\x01"), b"\x01"),
        (None, None),
    ],
)
def test_str_in_utf8_except_bytes_and_none(given, sent):
    assert serialize(given) == sent
    assert StrSerializer().serialize("topic", [], given) == sent


def test_messages_are_pairs_triples_dicts_or_messages():
    assert as_message((1, 2)) == Message(1, 2)
    assert as_message(["k", "v"]) == Message("k", "v")
    assert as_message(("k", "v", [("h", b"1")])) == Message("k", "v", [("h", b"1")])
    assert as_message({"value": "v", "partition": 2}) == Message(value="v", partition=2)


@pytest.mark.parametrize("bad", ["kv", b"kv", ("k",), ("k", "v", (), 0), 7])
def test_anything_else_is_refused_naming_the_forms(bad):
    with pytest.raises(TypeError, match=r"a message is a Message, \(key, value\[, headers\]\)"):
        as_message(bad)
