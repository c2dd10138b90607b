"""Which hours maintenance compacts and drops; its settings and its summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from jobs.config.maintain import parse_settings
from jobs.core.errors import ConfigError
from jobs.core.maintenance_plan import (
    Hour,
    TablePlan,
    closed,
    expired,
    hour_end,
    hours_predicate,
    parse_retention,
)
from jobs.core.maintenance_report import HourResult, TableResult, summary_json, summary_text

NOW = datetime(2026, 11, 28, 9, 5, tzinfo=UTC)


def test_an_hour_is_closed_once_it_ended_more_than_the_grace_ago():
    hours = [Hour("2026-11-28", h) for h in ("07", "08", "09")]
    assert closed(hours, "UTC", NOW, timedelta(minutes=10)) == [Hour("2026-11-28", "07")]
    assert closed(hours, "UTC", NOW, timedelta(minutes=5)) == hours[:2]
    paris = closed(hours, "Europe/Paris", NOW, timedelta(minutes=4))
    assert paris == hours, "09:05 UTC is 10:05 in Paris: its hour 09 ended at 09:00 UTC"


def test_the_hour_that_occurs_twice_closes_after_its_second_occurrence():
    # Europe/Paris, 2026-10-25: 02:00-03:00 local occurs twice (00:00-01:00 and 01:00-02:00 UTC)
    twice = Hour("2026-10-25", "02")
    assert hour_end(twice, "Europe/Paris") == datetime(2026, 10, 25, 2, tzinfo=UTC)
    assert (
        closed([twice], "Europe/Paris", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), timedelta(0))
        == []
    )


def test_expired_hours_are_older_than_the_retention_and_none_keeps_everything():
    hours = [Hour("2026-10-28", "08"), Hour("2026-10-28", "09"), Hour("2026-10-29", "00")]
    assert expired(hours, "UTC", NOW, timedelta(days=31)) == hours[:1]
    assert expired(hours, "UTC", NOW, None) == []
    assert parse_retention("30d", "--x") == timedelta(days=30)
    assert parse_retention("72h", "--x") == timedelta(hours=72)
    assert parse_retention("none", "--x") is None
    for bad in ("30", "0d", "1w", "soon"):
        with pytest.raises(ConfigError, match="--x"):
            parse_retention(bad, "--x")


def test_the_predicate_selects_exactly_the_hours():
    hours = [Hour("2026-11-28", "09"), Hour("2026-11-27", "23"), Hour("2026-11-28", "07")]
    assert hours_predicate(hours) == (
        "(date = '2026-11-27' AND hour IN ('23')) OR (date = '2026-11-28' AND hour IN ('07', '09'))"
    )
    assert hours_predicate([]) == "false"


def test_settings_name_the_flag():
    config = parse_settings(["--backup-path", "/b", "--backup-retention", "30d", "--vacuum"])
    assert [(t.name, t.retention) for t in config.tables] == [("backup", timedelta(days=30))]
    assert config.vacuum and not config.dry_run and config.grace == timedelta(minutes=10)
    for argv, flag in [
        ([], "--backup-path"),
        (["--dlq-path", "/d", "--backup-retention", "1d"], "--backup-retention"),
        (["--dlq-path", "/d", "--dlq-retention", "often"], "--dlq-retention"),
        (["--dlq-path", "/d", "--timezone", "Mars/Base"], "--timezone"),
        (["--dlq-path", "/d", "--grace", "later"], "--grace"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_settings(argv)
        assert caught.value.setting == flag


def test_the_summary_gives_files_before_and_after_per_hour():
    plan = TablePlan(
        "backup", "/b", {Hour("2026-11-28", "07"): 360}, (Hour("2026-10-01", "00"),), 2
    )
    result = TableResult(
        plan, [HourResult("2026-11-28T07", 360, 1, 2_000_000, 1_500_000, 3.2)], 120, None
    )
    text = summary_text([result], dry_run=False)
    assert "backup   2026-11-28T07           360       1" in text
    assert "backup: 1 hours compacted (360 files -> 1); 1 expired hours dropped (120 rows)" in text
    report = json.loads(summary_json([result], dry_run=False))
    assert report["tables"]["backup"]["compacted"][0]["files_after"] == 1
    dry = summary_text([TableResult(plan)], dry_run=True)
    assert "(would compact)" in dry and "backup: 1 hours to compact; 1 expired hours to drop" in dry
