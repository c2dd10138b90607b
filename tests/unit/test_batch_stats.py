"""``jobs.core.batch_stats``: per-batch counts, the batch log line and the run's totals."""

from __future__ import annotations

import json

import pytest

from jobs.core.batch_stats import BatchStats, PartitionStats, RunTotals, as_dict, fold_counts


def part(topic="orders", partition=0, first=0, last=9, read=10, output=7, filtered=1, dlq=2):
    return PartitionStats(topic, partition, first, last, read, output, filtered, dlq)


BATCH = BatchStats(
    3,
    (
        part("orders", 0, 100, 149, read=50, output=60, filtered=5, dlq=3),
        part("orders", 1, 7, 7, read=1, output=0, filtered=0, dlq=1),
        part("payments", 0, 0, 19, read=20, output=20, filtered=0, dlq=0),
    ),
    1.23456,
)


def test_end_offset_is_the_next_to_read():
    assert part(first=5, last=9).end_offset == 10


def test_batch_totals_add_up_partitions():
    assert (BATCH.read, BATCH.output, BATCH.filtered, BATCH.dlq) == (71, 80, 5, 4)


def test_empty_batch_totals_are_zero():
    empty = BatchStats(0, (), 0.0)
    assert (empty.read, empty.output, empty.filtered, empty.dlq) == (0, 0, 0, 0)


def test_log_line_is_one_json_line():
    line = BATCH.log_line()
    assert "\n" not in line
    logged = json.loads(line)
    assert logged["event"] == "batch"
    assert logged["batch_id"] == 3
    assert logged["offsets"] == {"orders/0": [100, 149], "orders/1": [7, 7], "payments/0": [0, 19]}
    assert logged["read"] == 71
    assert logged["backed_up"] == 71
    assert logged["output"] == 80
    assert logged["filtered"] == 5
    assert logged["dlq"] == 4
    assert logged["seconds"] == 1.235


def test_log_line_of_an_empty_batch():
    logged = json.loads(BatchStats(9, (), 0.5).log_line())
    assert logged["offsets"] == {}
    assert (logged["read"], logged["dlq"], logged["seconds"]) == (0, 0, 0.5)


def test_as_dict():
    shown = as_dict(BATCH)
    assert shown["batch_id"] == 3
    assert shown["partitions"][0]["topic"] == "orders"
    assert shown["partitions"][2]["last_offset"] == 19


# --- run totals -------------------------------------------------------------------------------


def totals(*batches: BatchStats) -> RunTotals:
    run = RunTotals()
    for batch in batches:
        run.add(batch)
    return run


def test_totals_add_every_batch():
    second = BatchStats(4, (part("orders", 0, 150, 159, read=10, output=9, filtered=1, dlq=0),), 1)
    run = totals(BATCH, second)
    assert run.batches == 2
    assert (run.read, run.output, run.filtered, run.dlq) == (81, 89, 6, 4)
    assert run.end_offsets == {"orders": {0: 160, 1: 8}, "payments": {0: 20}}


def test_end_offsets_never_go_back():
    later = BatchStats(1, (part("orders", 0, 200, 299),), 1.0)
    replayed = BatchStats(2, (part("orders", 0, 100, 149),), 1.0)
    assert totals(later, replayed).end_offsets == {"orders": {0: 300}}


@pytest.mark.parametrize(
    ("stop_at", "reached"),
    [
        ({"orders": {0: 150}}, True),  # exactly the end offset: offsets up to 149 are done
        ({"orders": {0: 149}}, True),
        ({"orders": {0: 151}}, False),
        ({"orders": {0: 150, 1: 8}}, True),
        ({"orders": {0: 150, 1: 9}}, False),
        ({"orders": {0: 150, 2: 1}}, False),  # partition 2 never seen
        ({"refunds": {0: 1}}, False),  # topic never seen
        ({"orders": {2: 0}}, True),  # nothing to read before offset 0
        ({"orders": {0: 150}, "payments": {0: 20}}, True),
        ({"orders": {0: 150}, "payments": {0: 21}}, False),
        ({}, True),
    ],
)
def test_reached(stop_at, reached):
    assert totals(BATCH).reached(stop_at) is reached


def test_not_reached_before_any_batch():
    assert RunTotals().reached({"orders": {0: 1}}) is False


def test_reached_after_the_batch_that_gets_there():
    run = totals(BatchStats(0, (part("orders", 0, 0, 49),), 1.0))
    assert not run.reached({"orders": {0: 100}})
    run.add(BatchStats(1, (part("orders", 0, 50, 99),), 1.0))
    assert run.reached({"orders": {0: 100}})


def test_summary():
    run = totals(BatchStats(0, (part(read=60),), 1.0), BatchStats(1, (part(read=40),), 1.0))
    summary = run.summary(2.0)
    assert summary["event"] == "summary"
    assert summary["batches"] == 2
    assert summary["read"] == 100
    assert summary["backed_up"] == 100
    assert summary["output"] == 14
    assert summary["filtered"] == 2
    assert summary["dlq"] == 4
    assert summary["seconds"] == 2.0
    assert summary["records_per_second"] == 50.0
    json.dumps(summary)  # printable as a log line


def test_summary_of_an_empty_run_does_not_divide_by_zero():
    summary = RunTotals().summary(0.0)
    assert summary["records_per_second"] == 0.0
    assert summary["batches"] == 0
    assert summary["read"] == 0


def _group(date: str, error_type: str | None, **counts) -> dict:
    base = {"topic": "t", "partition": 0, "date": date, "hour": "05", "error_type": error_type}
    base |= {"read": 0, "output": 0, "filtered": 0, "dlq": 0, "sample": None}
    return base | {"filtered_offsets": [], **counts}


def test_fold_counts_sums_error_types_into_hour_partitions_in_order() -> None:
    counts = fold_counts(
        [
            _group("2026-01-02", None, first_offset=9, last_offset=9, read=1, output=1),
            _group(
                "2026-01-01",
                "InvalidJson",
                first_offset=4,
                last_offset=6,
                read=2,
                dlq=2,
                sample="value is not JSON",
            ),
            _group(
                "2026-01-01",
                None,
                first_offset=1,
                last_offset=7,
                read=3,
                output=1,
                filtered=2,
                filtered_offsets=[7, 2],
            ),
            _group(
                "2026-01-01",
                "MissingField",
                first_offset=3,
                last_offset=3,
                read=1,
                dlq=1,
                sample=None,
            ),
        ]
    )
    first, second = counts.partitions
    assert (first.date, first.first_offset, first.last_offset) == ("2026-01-01", 1, 7)
    assert (first.read, first.output, first.filtered, first.dlq) == (6, 1, 2, 3)
    assert first.filtered_offsets == (2, 7)
    assert (second.date, second.read, second.output, second.dlq) == ("2026-01-02", 1, 1, 0)
    assert counts.errors == {"InvalidJson": 2, "MissingField": 1}
    assert counts.samples == {"InvalidJson": "value is not JSON", "MissingField": ""}


def test_fold_counts_of_an_empty_batch() -> None:
    counts = fold_counts([])
    assert (counts.partitions, dict(counts.errors)) == ((), {})
