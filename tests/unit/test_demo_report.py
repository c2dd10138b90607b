import pytest

from jobs.demo.report import DemoReport, format_report, table_report

BACKUP = [("2026-11-22", "09")] * 4 + [("2026-11-22", "10")] * 3 + [("2026-11-23", "00")] * 2
OUTPUT = [("2026-11-22", "09")] * 3 + [("2026-11-22", "10")] * 3 + [("2026-11-23", "00")] * 1
DLQ = [
    ("2026-11-22", "09", "InvalidJson"),
    ("2026-11-23", "00", "InvalidJson"),
    ("2026-11-23", "00", "MissingField"),
]


def _write(spark, path, rows, columns):
    frame = spark.createDataFrame([(i, *row) for i, row in enumerate(rows)], ["offset", *columns])
    frame.write.format("delta").partitionBy("date", "hour").save(str(path))


@pytest.fixture
def paths(spark, tmp_path):
    paths = {name: str(tmp_path / name) for name in ("backup", "output", "dlq")}
    _write(spark, paths["backup"], BACKUP, ["date", "hour"])
    _write(spark, paths["output"], OUTPUT, ["date", "hour"])
    _write(spark, paths["dlq"], DLQ, ["date", "hour", "error_type"])
    return paths


def _kwargs(paths):
    return {f"{name}_path": path for name, path in paths.items()}


def test_counts_per_table_per_hour(spark, paths):
    report = table_report(spark, **_kwargs(paths))
    assert report.rows_per_hour == [
        ("2026-11-22", "09", 4, 3, 1),
        ("2026-11-22", "10", 3, 3, 0),
        ("2026-11-23", "00", 2, 1, 2),
    ]
    assert (report.backed_up, report.output, report.dlq) == (9, 7, 3)
    assert report.dlq_by_error_type == {"InvalidJson": 2, "MissingField": 1}


def test_a_missing_dlq_table_counts_as_empty(spark, paths, tmp_path):
    paths["dlq"] = str(tmp_path / "not-written-yet")
    report = table_report(spark, **_kwargs(paths))
    assert report.dlq == 0
    assert report.dlq_by_error_type == {}
    assert [row[4] for row in report.rows_per_hour] == [0, 0, 0]
    assert "none" in format_report(report, **_kwargs(paths))


def test_no_tables_at_all(spark, tmp_path):
    paths = {name: str(tmp_path / name) for name in ("backup", "output", "dlq")}
    report = table_report(spark, **_kwargs(paths))
    assert report == DemoReport()
    assert "total" in format_report(report, **_kwargs(paths))


def test_format_names_paths_error_types_and_hours(spark, paths):
    report = table_report(spark, **_kwargs(paths))
    text = format_report(report, **_kwargs(paths))
    for needle in [*paths.values(), "InvalidJson", "MissingField", "2026-11-22", "2026-11-23"]:
        assert needle in text
    hour_lines = [line for line in text.splitlines() if line.startswith("2026-")]
    assert [line.split()[:2] for line in hour_lines] == [
        ["2026-11-22", "09"],
        ["2026-11-22", "10"],
        ["2026-11-23", "00"],
    ]
    assert "where(\"date = '2026-11-22' AND hour = '09'\")" in text
    assert len(text.splitlines()) <= 40


def test_format_shortens_many_hours():
    paths = {"backup": "/b", "output": "/o", "dlq": "/d"}
    rows = [("2026-11-22", f"{h:02d}", 1, 1, 0) for h in range(24)]
    report = DemoReport(rows_per_hour=rows, backed_up=24, output=24)
    text = format_report(report, **_kwargs(paths))
    assert "14 more hours" in text
    assert len(text.splitlines()) <= 40
