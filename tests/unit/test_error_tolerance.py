"""--errors-tolerance: parsing, when a batch passes it, and what the operator reads."""

from __future__ import annotations

import json

import pytest

from jobs.config.stream_cli import parse_config
from jobs.config.values import parse_errors_tolerance
from jobs.core.error_tolerance import ErrorCounts, ErrorTolerance
from jobs.core.errors import ConfigError

REQUIRED = [
    "--bootstrap-servers=b:9092",
    "--topics=t",
    "--processor=jobs.processors.builtin:json_events",
    "--checkpoint=/tmp/c",
    "--backup-path=/tmp/b",
    "--dlq-path=/tmp/d",
]


@pytest.mark.parametrize(
    ("text", "read", "dlq", "exceeded"),
    [
        ("all", 10, 10, False),
        ("none", 10, 0, False),
        ("none", 10, 1, True),
        ("5", 10, 5, False),
        ("5", 10, 6, True),
        ("50%", 10, 5, False),
        ("50%", 10, 6, True),
        ("0%", 10, 1, True),
    ],
)
def test_a_batch_passes_the_tolerance_only_beyond_its_limit(text, read, dlq, exceeded):
    assert parse_errors_tolerance(text).exceeded(read, dlq) is exceeded


@pytest.mark.parametrize("text", ["some", "-1", "100%", "1.5", "%", ""])
def test_a_bad_tolerance_is_named_with_the_values_that_work(text):
    with pytest.raises(ConfigError, match=r"--errors-tolerance: .*use all \(default\), none"):
        parse_errors_tolerance(text)


def test_the_stream_takes_it_from_a_flag_or_a_settings_file(tmp_path):
    assert parse_config(REQUIRED).errors_tolerance == ErrorTolerance()
    assert str(parse_config([*REQUIRED, "--errors-tolerance", "5%"]).errors_tolerance) == "5%"
    file = tmp_path / "job.toml"
    file.write_text("errors-tolerance = 100\n")
    config = parse_config([*REQUIRED, "--config", str(file)])
    assert config.errors_tolerance == ErrorTolerance(max_dlq=100)
    assert config.describe()["errors_tolerance"] == "100"


def test_the_message_names_the_top_error_types_with_counts_and_a_sample():
    counts = ErrorCounts(
        7,
        100,
        {"KeyError": 40, "OutputSchemaMismatch": 2, "ValueError": 9, "Timeout": 1},
        {"KeyError": "'customer'\nline two", "ValueError": "bad"},
    )
    error = counts.not_tolerated(ErrorTolerance(max_share=0.1))
    text = str(error)
    assert error.exit_code == 1 and "\n" not in text
    assert "--errors-tolerance 10%: batch 7 sent 52 of 100 records to the DLQ" in text
    assert "(40 KeyError, 9 ValueError, 2 OutputSchemaMismatch)" in text
    assert "Timeout" not in text and "e.g. KeyError: \"'customer' line two\"" in text


def test_the_warn_line_counts_every_error_type():
    line = ErrorCounts(3, 10, {"b": 1, "a": 2}, {}).warn_line()
    assert json.loads(line) == {
        "event": "dlq",
        "batch_id": 3,
        "read": 10,
        "dlq": 3,
        "error_types": {"a": 2, "b": 1},
    }
