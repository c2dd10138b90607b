"""``python -m jobs.replay`` settings: each bad combination fails naming its flag."""

from __future__ import annotations

import pytest

from jobs.config.replay import parse_replay_config
from jobs.core.errors import ConfigError
from jobs.core.ledger import REPLAY_MODES

BASE = ["--processor", "m:p", "--backup-path", "/b", "--dlq-path", "/d"]
KAFKA = ["kafka", *BASE, "--bootstrap-servers", "h:1"]


def test_kafka_replay_with_offsets():
    config = parse_replay_config(
        [*KAFKA, "--starting-offsets", '{"t": {"0": 5}}', "--ending-offsets", '{"t": {"0": 9}}']
    )
    assert config.starting_offsets == {"t": {0: 5}} and config.ending_offsets == {"t": {0: 9}}
    assert config.new_run_id().startswith("kafka-stream-replay-kafka-")


def test_backup_replay_with_hours_and_topics():
    config = parse_replay_config(
        ["backup", *BASE, "--from", "2026-11-22T09", "--to", "2026-11-22T12", "--topics", "a,b"]
    )
    assert len(config.hours.hours()) == 4 and config.topics == ("a", "b")


def test_dlq_replay_filters_are_optional():
    config = parse_replay_config(["dlq", *BASE, "--error-type", "InvalidJson, MissingField"])
    assert config.hours is None and config.error_types == ("InvalidJson", "MissingField")


@pytest.mark.parametrize("mode", ["kafka", "backup", "dlq"])
def test_the_ledger_mode_of_each_replay_is_replay_and_its_subcommand(mode):
    assert REPLAY_MODES[mode] == f"replay-{mode}"


def test_secrets_are_masked_in_the_printed_settings():
    config = parse_replay_config(
        [*KAFKA, "--starting-offsets", '{"t": {"0": 0}}', "--kafka-option", "sasl.jaas.config=s3"]
    )
    assert "s3" not in str(config.describe())


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (KAFKA, "--starting-offsets"),
        ([*KAFKA, "--starting-offsets", "{}", "--starting-timestamp", "1"], "--starting-offsets"),
        ([*KAFKA, "--starting-offsets", "[1]"], "--starting-offsets"),
        ([*KAFKA, "--starting-offsets", '{"t": {"0": -1}}'], "--starting-offsets"),
        ([*KAFKA, "--starting-timestamp", "1000"], "--topics"),
        (
            [*KAFKA, "--topics", "t", "--starting-timestamp", "2000", "--ending-timestamp", "1000"],
            "--ending-timestamp",
        ),
        (
            [
                *KAFKA,
                "--starting-offsets",
                '{"t": {"0": 1}}',
                "--ending-offsets",
                '{"u": {"0": 1}}',
            ],
            "--ending-offsets",
        ),
        (["kafka", *BASE, "--starting-offsets", '{"t": {"0": 1}}'], "--bootstrap-servers"),
        (["backup", *BASE, "--from", "2026-11-22T09"], "--from"),
        (["dlq", *BASE, "--output-path", "/o", "--output-topic", "t"], "--output-path"),
        (["dlq", *BASE, "--chunk-records", "0"], "--chunk-records"),
        (["dlq", *BASE, "--timezone", "Mars/Base"], "--timezone"),
        (["dlq", *BASE, "--broker-timeout", "soon"], "--broker-timeout"),
    ],
)
def test_bad_settings_name_their_flag(argv, flag):
    with pytest.raises(ConfigError) as raised:
        parse_replay_config(argv)
    assert raised.value.setting == flag


def test_a_missing_required_flag_is_a_usage_error():
    with pytest.raises(SystemExit) as raised:
        parse_replay_config(["dlq", "--processor", "m:p"])
    assert raised.value.code == 2
