"""--config for every job: the flags' names as keys, flags win, unknown keys get a suggestion."""

from __future__ import annotations

import json

import pytest

from jobs.config.audit import parse_audit_config
from jobs.config.maintain import parse_settings
from jobs.config.replay import parse_replay_config
from jobs.config.stream_cli import parse_config as parse_stream_config
from jobs.core.errors import ConfigError

TABLES = {"backup-path": "/data/backup", "dlq-path": "/data/dlq", "ledger-path": "/data/ledger"}


def write(tmp_path, settings: dict, suffix: str = ".json") -> str:
    file = tmp_path / f"settings{suffix}"
    if suffix == ".json":
        file.write_text(json.dumps(settings))
    else:
        file.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items()))
    return str(file)


def test_every_replay_mode_takes_its_settings_from_a_file(tmp_path):
    common = {**TABLES, "processor": "jobs.processors.builtin:json_events", "topics": ["orders"]}
    kafka = write(tmp_path, common, ".toml")
    with open(kafka, "a") as file:
        file.write('starting-offsets = { orders = { "0" = 5 } }\n')
    config = parse_replay_config(["kafka", "--config", kafka, "--bootstrap-servers", "b:9092"])
    assert (config.mode, config.starting_offsets, config.topics) == (
        "kafka",
        {"orders": {0: 5}},
        ("orders",),
    )
    backup = write(tmp_path, {**common, "from": "2026-11-22T09", "to": "2026-11-22T10"})
    assert parse_replay_config(["backup", "--config", backup]).hours is not None
    dlq = write(tmp_path, {**common, "error-type": "MissingField", "dry-run": True})
    config = parse_replay_config(["dlq", "--config", dlq])
    assert config.error_types == ("MissingField",) and config.dry_run


def test_flags_win_over_the_file(tmp_path):
    file = write(tmp_path, {**TABLES, "timezone": "Europe/Paris", "json": True})
    config = parse_audit_config(["--config", file, "--timezone", "UTC"])
    assert (config.timezone, config.json, config.backup_path) == ("UTC", True, "/data/backup")


def test_maintenance_takes_a_file_too(tmp_path):
    file = write(
        tmp_path, {"backup-path": "/data/backup", "backup-retention": "30d", "grace": "5m"}
    )
    config = parse_settings(["--config", file, "--dry-run"])
    assert [t.name for t in config.tables] == ["backup"] and config.dry_run
    assert str(config.grace) == "0:05:00"


def test_a_mistyped_key_is_refused_with_the_nearest_setting(tmp_path):
    file = write(tmp_path, {**TABLES, "timezon": "UTC"})
    with pytest.raises(
        ConfigError, match=r"unknown settings in .*'timezon' \(did you mean 'timezone'\?\)"
    ):
        parse_audit_config(["--config", file])


def test_a_key_of_another_mode_is_unknown_to_this_one(tmp_path):
    file = write(
        tmp_path, {**TABLES, "processor": "m:p", "error-type": "X", "from": "2026-11-22T09"}
    )
    with pytest.raises(ConfigError, match="'error_type'"):
        parse_replay_config(["backup", "--config", file, "--to", "2026-11-22T10"])


def test_the_stream_reports_every_bad_and_missing_setting_at_once():
    with pytest.raises(ConfigError) as raised:
        parse_stream_config(["--topics", "t", "--trigger", "soon", "--heartbeat", "-1"])
    lines = str(raised.value).splitlines()
    assert raised.value.setting == "--trigger" and lines[0].startswith("--trigger: 'soon'")
    assert lines[1].startswith("--heartbeat: '-1'") and len(lines) == 3
    assert lines[2].startswith("--bootstrap-servers: required")
    assert "also required: --processor, --checkpoint, --backup-path, --dlq-path" in lines[2]


def test_relative_locations_are_made_absolute_for_every_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = write(tmp_path, {"dlq-path": "tables/dlq", "ledger-path": "s3a://bucket/ledger"})
    config = parse_audit_config(["--config", file, "--backup-path", "tables/backup"])
    assert config.backup_path == str(tmp_path / "tables" / "backup")
    assert config.dlq_path == str(tmp_path / "tables" / "dlq")
    assert config.ledger_path == "s3a://bucket/ledger"
    flags = ["--bootstrap-servers", "b:1", "--topics", "t", "--processor", "m:p"]
    stream = parse_stream_config(
        [*flags, "--checkpoint", "ckpt", "--backup-path", "b", "--dlq-path", "file:/d"]
    )
    assert (stream.checkpoint, stream.dlq_path) == (str(tmp_path / "ckpt"), "file:/d")
    assert stream.describe()["backup_path"] == str(tmp_path / "b")
