"""``jobs.core.audit_report``: problems from per-hour facts, the table and the JSON."""

from __future__ import annotations

import json

from jobs.core.audit_report import AuditReport, Problem, describe_gaps, problems_from_hours


def hour(partition=0, hour_="09", **problems):
    row = {
        "topic": "orders",
        "partition": partition,
        "date": "2026-11-22",
        "hour": hour_,
        "first_offset": 0,
        "last_offset": 99,
        "backed_up": 100,
        "output": 90,
        "dlq": 5,
        "resolved": 1,
        "filtered": 4,
    }
    for kind in ("doubled_in_backup", "unaccounted"):
        row[kind] = {"count": 0, "offsets": []}
    row.update({k: {"count": len(v), "offsets": v} for k, v in problems.items()})
    return row


def test_a_report_without_problems_is_clean_and_exits_0():
    report = AuditReport("all hours", [hour(0), hour(1)])
    assert report.clean and report.exit_code == 0
    assert report.totals() == {
        "backed_up": 200,
        "output": 180,
        "dlq": 10,
        "resolved": 2,
        "filtered": 8,
    }
    text = report.to_text()
    assert "clean: every backed-up record is accounted for exactly once" in text
    assert text.count(" ok") == 2


def test_problems_come_from_non_zero_counts_with_sample_offsets():
    hours = [hour(0), hour(1, unaccounted=[7, 8])]
    problems = problems_from_hours(hours, ["doubled_in_backup", "unaccounted"])
    assert problems == [Problem("unaccounted", "orders", 1, "2026-11-22", "09", 2, [7, 8])]
    assert str(problems[0]) == (
        "orders[1] 2026-11-22 hour 09: 2 backed-up records in neither output, DLQ nor the "
        "ledger's filtered list (offsets 7, 8…)"
    )


def test_a_report_with_problems_exits_1_and_lists_them():
    hours = [hour(2, doubled_in_backup=[3])]
    report = AuditReport("all hours", hours, problems_from_hours(hours, ["doubled_in_backup"]))
    assert report.exit_code == 1
    text = report.to_text()
    assert "PROBLEM: doubled_in_backup" in text and "PROBLEMS (1):" in text
    data = json.loads(report.to_json())
    assert data["clean"] is False and data["problems"][0]["kind"] == "doubled_in_backup"


def test_gaps_are_notes_that_say_whether_the_broker_was_asked():
    gaps = [{"topic": "t", "partition": 0, "start": 10, "end": 12}]
    assert describe_gaps([], verified=True) == []
    assert "the broker holds no record there" in describe_gaps(gaps, verified=True)[0]
    unverified = describe_gaps(gaps, verified=False)[0]
    assert "1 offset holes (2 offsets)" in unverified and "--bootstrap-servers" in unverified
