"""The idle heartbeat's arithmetic and line."""

from __future__ import annotations

import json

from jobs.core.lag import heartbeat_line, lag_per_partition, processed_offsets


def test_processed_offsets_come_from_every_source_of_the_progress_report():
    ends = ['{"orders": {"0": 120, "1": 7}}', '{"payments": {"0": 3}}', ""]
    assert processed_offsets(ends) == {("orders", 0): 120, ("orders", 1): 7, ("payments", 0): 3}


def test_lag_is_what_the_broker_holds_past_the_processed_offsets():
    broker = {("orders", 1): 10, ("orders", 0): 120, ("orders", 2): 5}
    processed = {("orders", 0): 120, ("orders", 1): 7}
    assert lag_per_partition(broker, processed) == {
        ("orders", 0): 0,
        ("orders", 1): 3,
        ("orders", 2): 5,
    }


def test_the_heartbeat_line_is_one_json_object_like_the_batch_lines():
    line = json.loads(heartbeat_line(41, 1_800_000_000.0, 1_800_000_720.4, {("o", 0): 2}))
    assert line == {
        "event": "idle",
        "last_batch": 41,
        "last_batch_at": "2027-01-15T08:00:00+00:00",
        "idle_seconds": 720,
        "lag": {"o/0": 2},
        "lag_total": 2,
    }
    first = json.loads(heartbeat_line(None, None, 0.0, None))
    assert first == {"event": "idle", "last_batch": None}
