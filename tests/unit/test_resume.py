"""``jobs.core.offsets.starting_offsets``: where a stream without checkpoint offsets starts."""

from __future__ import annotations

import json

import pytest

from jobs.core.errors import InfrastructureError
from jobs.core.offsets import starting_offsets

PARTITIONS = [("t", 0), ("t", 1), ("u", 0)]
EARLIEST = {("t", 0): 0, ("t", 1): 0, ("u", 0): 0}


def test_every_partition_is_listed_those_never_read_from_earliest():
    spec = json.loads(starting_offsets(PARTITIONS, {("t", 0): 120}, EARLIEST))
    assert spec == {"t": {"0": 120, "1": -2}, "u": {"0": -2}}


def test_partitions_never_read_can_start_from_latest():
    spec = json.loads(starting_offsets(PARTITIONS, {}, EARLIEST, unknown_from="latest"))
    assert spec == {"t": {"0": -1, "1": -1}, "u": {"0": -1}}


def test_a_resume_point_kafka_no_longer_holds_is_an_error_not_a_silent_skip():
    with pytest.raises(InfrastructureError, match=r"t\[1\] stopped at offset 5, but Kafka now"):
        starting_offsets(PARTITIONS, {("t", 1): 5}, {**EARLIEST, ("t", 1): 9})
