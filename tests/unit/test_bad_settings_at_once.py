"""Every job reports all its bad values at once, one line each, in the same words: exit 2,
no traceback, before Spark starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.config.audit import parse_audit_config
from jobs.config.maintain import parse_settings
from jobs.config.replay import parse_replay_config
from jobs.config.stream_cli import parse_config as parse_stream_config
from jobs.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["--backup-path", "/b", "--dlq-path", "/d"]
REPLAY = ["--processor", "m:p", *TABLES]
BAD_TIMEOUT = "--broker-timeout: 'soon' is not a duration; e.g. 500ms, 10s, 2m"
BAD_ZONE = "--timezone: unknown zone 'Mars/Base'; e.g. UTC or Europe/Paris"
BAD = ["--broker-timeout", "soon", "--timezone", "Mars/Base"]


def problems(parse, argv: list[str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse(argv)
    lines = str(raised.value).splitlines()
    assert raised.value.setting == lines[0].split(":")[0], "the first problem names the setting"
    return lines


def run(module: str, argv: list[str]) -> tuple[int, list[str]]:
    """``python -m module argv``: the exit code and the lines it wrote to stderr."""
    done = subprocess.run(
        [sys.executable, "-m", module, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout == ""
    return done.returncode, done.stderr.splitlines()


def logged(lines: list[str]) -> list[str]:
    """The messages of the ERROR lines, without time and logger; other lines whole."""
    return [line.split(" ERROR jobs.launch: ", 1)[-1] for line in lines]


@pytest.mark.parametrize(
    ("mode", "argv"),
    [
        ("kafka", ["--bootstrap-servers", "h:1", "--starting-offsets", '{"t": {"0": 1}}']),
        ("backup", ["--from", "2026-11-22T09", "--to", "2026-11-22T10"]),
        ("dlq", []),
    ],
)
def test_every_replay_mode_reports_two_bad_values_at_once(mode, argv):
    assert problems(parse_replay_config, [mode, *REPLAY, *argv, *BAD]) == [BAD_TIMEOUT, BAD_ZONE]


def test_a_replay_reports_bad_values_and_bad_combinations_together():
    argv = ["kafka", *REPLAY, "--starting-offsets", "[1]", "--chunk-records", "0"]
    lines = problems(parse_replay_config, argv)
    assert [line.split(":")[0] for line in lines] == [
        "--starting-offsets",
        "--bootstrap-servers",
        "--chunk-records",
    ]


def test_the_audit_reports_two_bad_values_at_once():
    argv = [*TABLES, "--ledger-path", "/l", *BAD, "--from", "soon"]
    assert problems(parse_audit_config, argv) == [
        "--from: 'soon' is not an hour; e.g. 2026-11-22T09",
        BAD_ZONE,
        BAD_TIMEOUT,
    ]


def test_maintenance_reports_every_bad_value_at_once_from_flags_and_file(tmp_path):
    file = tmp_path / "maintain.json"
    file.write_text(json.dumps({"dlq-path": "/d", "grace": "later", "dlq-retention": "often"}))
    lines = problems(
        parse_settings,
        ["--config", str(file), "--timezone", "Mars/Base", "--ledger-retention", "1d"],
    )
    assert lines == [
        "--dlq-retention: 'often'; give days or hours (30d, 72h) or none",
        "--ledger-retention: needs --ledger-path",
        BAD_ZONE,
        "--grace: 'later' is not a duration; e.g. 500ms, 10s, 2m",
    ]


STREAM = ["--bootstrap-servers", "h:1", "--topics", "t", "--processor", "m:p"]


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("jobs.stream", [*STREAM, "--checkpoint", "/c", *TABLES, *BAD]),
        ("jobs.replay", ["dlq", *REPLAY, *BAD]),
        ("jobs.audit", [*TABLES, "--ledger-path", "/l", *BAD]),
        ("jobs.maintain", ["--dlq-path", "/d", "--grace", "soon", *BAD[2:]]),
    ],
)
def test_each_job_run_as_a_command_logs_one_line_per_bad_value_and_exits_2(module, argv):
    code, lines = run(module, argv)
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    bad_grace = "--grace: 'soon' is not a duration; e.g. 500ms, 10s, 2m"
    expected = [BAD_ZONE, bad_grace] if module == "jobs.maintain" else [BAD_TIMEOUT, BAD_ZONE]
    assert sorted(logged(lines)) == sorted(expected), "one ERROR line per problem, nothing else"


def test_the_stream_reports_missing_settings_with_its_bad_combinations():
    argv = ["--topics", "t", "--timezone", "Mars/Base", "--checkpoint-lease", "1s"]
    lines = problems(parse_stream_config, argv)
    assert [line.split(":")[0] for line in lines] == [
        "--bootstrap-servers",
        "--timezone",
        "--checkpoint-lease",
    ]


def test_a_word_for_a_number_is_one_of_the_problems_not_a_usage_error(tmp_path):
    file = tmp_path / "replay.toml"
    file.write_text('max-record-bytes = "big"\n')
    argv = ["dlq", *REPLAY, "--config", str(file), "--chunk-records", "many", *BAD[2:]]
    assert problems(parse_replay_config, argv) == [
        "--chunk-records: 'many' is not a whole number; e.g. 1000",
        "--max-record-bytes: 'big' is not a whole number; e.g. 1000",
        BAD_ZONE,
    ]
