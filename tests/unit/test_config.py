"""``jobs.config.stream`` and ``stream_cli``: flags and settings files into one JobConfig."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from jobs.config.stream import JobConfig, Trigger, parse_trigger
from jobs.config.stream_cli import build_parser, parse_config
from jobs.config.values import REDACTED, parse_duration
from jobs.core.errors import ConfigError

SECRET = "hunter2-s3cr3t"
REQUIRED = {
    "--bootstrap-servers": "127.0.0.1:9092",
    "--processor": "jobs.processors.builtin:json_events",
    "--checkpoint": "/data/ckpt",
    "--backup-path": "/data/backup",
    "--dlq-path": "/data/dlq",
}


def argv(*extra: str, without: tuple[str, ...] = (), topics: str | None = "orders,payments"):
    args = [
        item for flag, value in REQUIRED.items() if flag not in without for item in (flag, value)
    ]
    if topics is not None:
        args += ["--topics", topics]
    return [*args, *extra]


def config_error(args: list[str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(args)
    assert caught.value.exit_code == 2
    return caught.value


# --- valid flags ---------------------------------------------------------------------------


def test_minimal_flags_give_defaults():
    config = parse_config(argv())
    assert isinstance(config, JobConfig)
    assert config.bootstrap_servers == "127.0.0.1:9092"
    assert config.processor == "jobs.processors.builtin:json_events"
    assert (config.checkpoint, config.backup_path, config.dlq_path) == (
        "/data/ckpt",
        "/data/backup",
        "/data/dlq",
    )
    assert config.topics == ("orders", "payments")
    assert config.topic_pattern is None
    assert config.trigger == Trigger("processing-time", 10.0)
    assert config.starting_offsets == "earliest"
    assert config.max_record_bytes == 1_048_576
    assert config.max_offsets_per_trigger is None
    assert config.timezone == "UTC"
    assert config.kafka_options == {}
    assert config.stop_at_offsets is None
    assert config.output_path is None and config.output_topic is None
    assert config.dev is False
    assert config.broker_timeout == 30.0


def test_every_flag_lands_in_its_field():
    config = parse_config(
        argv(
            "--trigger",
            "processing-time=500ms",
            "--starting-offsets",
            '{"orders": {"0": 5}}',
            "--max-offsets-per-trigger",
            "1000",
            "--max-record-bytes",
            "2048",
            "--timezone",
            "Europe/Paris",
            "--kafka-option",
            "security.protocol=SASL_SSL",
            "--kafka-option",
            "sasl.jaas.config=a=b c=d",
            "--stop-at-offsets",
            '{"orders": {"0": 100, "1": 250}}',
            "--output-topic",
            "out",
            "--dlq-topic",
            "dlq",
            "--commit-group",
            "lag-tools",
            "--name",
            "orders-job",
            "--master",
            "local[1]",
            "--broker-timeout",
            "2m",
            topics=" orders , payments ,",
        )
    )
    assert config.topics == ("orders", "payments")
    assert config.trigger == Trigger("processing-time", 0.5)
    assert config.starting_offsets == '{"orders": {"0": 5}}'
    assert config.max_offsets_per_trigger == 1000
    assert config.max_record_bytes == 2048
    assert config.timezone == "Europe/Paris"
    assert config.kafka_options == {
        "security.protocol": "SASL_SSL",
        "sasl.jaas.config": "a=b c=d",
    }
    assert config.stop_at_offsets == {"orders": {0: 100, 1: 250}}
    assert all(isinstance(p, int) for p in config.stop_at_offsets["orders"])
    assert config.output_topic == "out" and config.output_path is None
    assert config.dlq_topic == "dlq"
    assert config.commit_group == "lag-tools"
    assert config.name == "orders-job"
    assert config.master == "local[1]"
    assert config.broker_timeout == 120.0


def test_topic_pattern_instead_of_topics():
    config = parse_config(argv("--topic-pattern", "orders-.*", topics=None))
    assert config.topics == ()
    assert config.topic_pattern == "orders-.*"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("processing-time=10s", Trigger("processing-time", 10.0)),
        ("processing-time=500ms", Trigger("processing-time", 0.5)),
        ("processing-time=2m", Trigger("processing-time", 120.0)),
        ("processing-time=1h", Trigger("processing-time", 3600.0)),
        ("processing-time=0", Trigger("processing-time", 0.0)),
        ("processing-time=1.5s", Trigger("processing-time", 1.5)),
        ("available-now", Trigger("available-now")),
        ("once", Trigger("once")),
    ],
)
def test_triggers(text, expected):
    assert parse_trigger(text) == expected
    assert parse_config(argv("--trigger", text)).trigger == expected


def test_trigger_prints_as_given():
    assert str(Trigger("processing-time", 0.5)) == "processing-time=0.5s"
    assert str(Trigger("available-now")) == "available-now"


@pytest.mark.parametrize(
    "text",
    [
        "sometimes",
        "processing-time",
        "processing-time=",
        "processing-time=fast",
        "processing-time=-5s",
        "processing-time=10 days",
        "once=5",
        "available-now=1s",
        "continuous=1s",
        "",
    ],
)
def test_bad_trigger(text):
    error = config_error(argv("--trigger", text))
    assert error.setting == "--trigger"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("10s", 10.0), ("2m", 120.0), ("3h", 10800.0), ("7", 7.0), (" 2 s ", 2.0)],
)
def test_durations(text, seconds):
    assert parse_duration(text, "--x") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "10 sec", "-1s", "1d", "ten", "1.s"])
def test_bad_durations_name_the_setting(text):
    with pytest.raises(ConfigError) as caught:
        parse_duration(text, "--broker-timeout")
    assert caught.value.setting == "--broker-timeout"
    assert "duration" in str(caught.value)


def test_bad_broker_timeout_flag():
    assert config_error(argv("--broker-timeout", "soon")).setting == "--broker-timeout"
    assert config_error(argv("--broker-timeout", "0s")).setting == "--broker-timeout"


# --- required settings ---------------------------------------------------------------------


@pytest.mark.parametrize("flag", list(REQUIRED))
def test_each_required_flag_missing(flag):
    error = config_error(argv(without=(flag,)))
    assert error.setting == flag
    assert str(error).startswith(f"{flag}: ")
    assert "required" in str(error)


@pytest.mark.parametrize("flag", list(REQUIRED))
def test_blank_required_flag(flag):
    args = argv(without=(flag,))
    assert config_error([*args, flag, "   "]).setting == flag


def test_neither_topics_nor_pattern():
    error = config_error(argv(topics=None))
    assert error.setting == "--topics"
    assert "--topic-pattern" in str(error)


def test_topics_of_only_commas_count_as_none():
    assert config_error(argv(topics=" , ,")).setting == "--topics"


def test_both_topics_and_pattern():
    assert config_error(argv("--topic-pattern", "orders.*")).setting == "--topics"


def test_bad_topic_pattern():
    error = config_error(argv("--topic-pattern", "orders[", topics=None))
    assert error.setting == "--topic-pattern"


def test_no_arguments_at_all():
    assert config_error([]).setting == "--bootstrap-servers"


# --- offsets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "JSON"),
        ("{'orders': {'0': 1}}", "JSON"),
        ("[1, 2]", "object"),
        ("{}", "object"),
        ('"orders"', "object"),
        ('{"orders": 5}', "object"),
        ('{"orders": {}}', "object"),
        ('{"orders": {"0": -1}}', "non-negative"),
        ('{"orders": {"0": 1.5}}', "integers"),
        ('{"orders": {"0": "10"}}', "integers"),
        ('{"orders": {"0": true}}', "integers"),
        ('{"orders": {"0": null}}', "integers"),
        ('{"orders": {"x": 1}}', "integers"),
        ('{"orders": {"-1": 1}}', "integers"),
        ('{"orders": {"1.0": 1}}', "integers"),
        ('{"orders": {"\u00b2": 1}}', "integers"),
        ('{"nope": {"0": 1}}', "nope"),
    ],
)
def test_bad_stop_at_offsets(text, words):
    error = config_error(argv("--stop-at-offsets", text))
    assert error.setting == "--stop-at-offsets"
    assert words in str(error)


def test_stop_at_offsets_with_topic_pattern_is_not_checked_against_topics():
    config = parse_config(
        argv("--topic-pattern", "o.*", "--stop-at-offsets", '{"other": {"2": 0}}', topics=None)
    )
    assert config.stop_at_offsets == {"other": {2: 0}}


@pytest.mark.parametrize("text", ["earliest", "latest", '{"orders": {"0": 23, "1": -2}}'])
def test_good_starting_offsets(text):
    assert parse_config(argv("--starting-offsets", text)).starting_offsets == text


@pytest.mark.parametrize("text", ["earlist", "{bad", "", "5", "[]", '"latest"', "{}"])
def test_bad_starting_offsets(text):
    error = config_error(argv("--starting-offsets", text))
    assert error.setting == "--starting-offsets"


# --- numbers, time zone, sinks ------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--max-record-bytes", "--max-offsets-per-trigger"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_numbers_must_be_positive(flag, value):
    error = config_error(argv(flag, value))
    assert error.setting == flag
    assert value in str(error)


@pytest.mark.parametrize("flag", ["--max-record-bytes", "--max-offsets-per-trigger"])
def test_a_non_integer_number_is_a_bad_setting_named_with_its_value(flag):
    error = config_error(argv(flag, "lots"))
    assert str(error) == f"{flag}: 'lots' is not a whole number; e.g. 1000"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "utc+2", "../etc/passwd"])
def test_unknown_timezone(zone):
    error = config_error(argv("--timezone", zone))
    assert error.setting == "--timezone"


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_known_timezones(zone):
    assert parse_config(argv("--timezone", zone)).timezone == zone


def test_output_path_and_output_topic_together():
    error = config_error(argv("--output-path", "/data/out", "--output-topic", "out"))
    assert error.setting == "--output-path"
    assert "--output-topic" in str(error)


@pytest.mark.parametrize("name", ["has space", "slash/name", "", "ünï"])
def test_bad_job_name(name):
    assert config_error(argv("--name", name)).setting == "--name"


# --- Kafka options and secrets -------------------------------------------------------------


@pytest.mark.parametrize("pair", ["security.protocol", "=value", " =value", "security protocol=x"])
def test_kafka_option_not_key_value(pair):
    error = config_error(argv("--kafka-option", pair))
    assert error.setting == "--kafka-option"
    assert "key=value" in str(error)


def test_kafka_option_with_kafka_prefix():
    error = config_error(argv("--kafka-option", "kafka.security.protocol=SSL"))
    assert error.setting == "--kafka-option"
    assert "'security.protocol'" in str(error)


def test_kafka_option_value_may_be_empty_or_hold_equals():
    config = parse_config(argv("--kafka-option", "a.b=", "--kafka-option", "c.d=x=y"))
    assert config.kafka_options == {"a.b": "", "c.d": "x=y"}


SECRET_OPTIONS = {
    "sasl.jaas.config": f'PlainLoginModule required username="u" password="{SECRET}";',
    "ssl.keystore.password": SECRET,
    "ssl.key.password": SECRET,
    "ssl.truststore.password": SECRET,
    "sasl.oauthbearer.token": SECRET,
}


def test_describe_masks_secret_options():
    options = [f"{k}={v}" for k, v in SECRET_OPTIONS.items()]
    flags = [item for option in options for item in ("--kafka-option", option)]
    config = parse_config(argv(*flags, "--kafka-option", "security.protocol=SASL_SSL"))
    assert config.kafka_options["ssl.key.password"] == SECRET  # the job itself still has it
    shown = config.describe()
    assert shown["kafka_options"] == {
        **dict.fromkeys(SECRET_OPTIONS, REDACTED),
        "security.protocol": "SASL_SSL",
    }
    assert SECRET not in str(shown)
    assert SECRET not in repr(shown)
    assert SECRET not in json.dumps(shown, default=str)
    assert shown["trigger"] == "processing-time=10s"
    assert shown["bootstrap_servers"] == "127.0.0.1:9092"
    assert shown["topics"] == ("orders", "payments")


@pytest.mark.parametrize(
    "pair",
    [
        f"ssl.keystore.password {SECRET}",
        f"ssl.keystore.password:{SECRET}",
        f"ssl.key.password\t{SECRET}",
        f"sasl.jaas.config:{SECRET}",
        f"sasl.jaas.config org.apache.PlainLoginModule required password={SECRET}",
        f"sasl.jaas.config {SECRET}=",
        f"kafka.ssl.key.password={SECRET}",
        f"kafka.sasl.jaas.config {SECRET}",
    ],
)
def test_malformed_secret_option_never_echoes_the_secret(pair):
    error = config_error(argv("--kafka-option", pair))
    assert error.setting == "--kafka-option"
    assert SECRET not in str(error)
    assert all(SECRET not in str(arg) for arg in error.args)


# --- settings file -------------------------------------------------------------------------

TOML = """\
bootstrap-servers = "file-broker:9092"
processor = "jobs.processors.builtin:passthrough"
checkpoint = "/file/ckpt"
backup-path = "/file/backup"
dlq-path = "/file/dlq"
topics = ["orders", "payments"]
trigger = "available-now"
max-record-bytes = 4096
timezone = "Asia/Kolkata"
kafka-option = ["security.protocol=SSL", "client.id=from-file"]
stop-at-offsets = { orders = { "0" = 7 } }
"""


def test_toml_settings_file(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text(TOML)
    config = parse_config(["--config", str(file)])
    assert config.bootstrap_servers == "file-broker:9092"
    assert config.processor == "jobs.processors.builtin:passthrough"
    assert (config.checkpoint, config.backup_path, config.dlq_path) == (
        "/file/ckpt",
        "/file/backup",
        "/file/dlq",
    )
    assert config.topics == ("orders", "payments")
    assert config.trigger == Trigger("available-now")
    assert config.max_record_bytes == 4096
    assert config.timezone == "Asia/Kolkata"
    assert config.kafka_options == {"security.protocol": "SSL", "client.id": "from-file"}
    assert config.stop_at_offsets == {"orders": {0: 7}}


def test_json_settings_file(tmp_path):
    file = tmp_path / "job.json"
    file.write_text(
        json.dumps(
            {
                "bootstrap-servers": "json-broker:9092",
                "processor": "m:o",
                "checkpoint": "/j/c",
                "backup_path": "/j/b",
                "dlq-path": "/j/d",
                "topics": "orders,payments",
                "trigger": "processing-time=2m",
                "output-path": "/j/out",
            }
        )
    )
    config = parse_config(["--config", str(file)])
    assert config.bootstrap_servers == "json-broker:9092"
    assert config.backup_path == "/j/b"
    assert config.topics == ("orders", "payments")
    assert config.trigger == Trigger("processing-time", 120.0)
    assert config.output_path == "/j/out"


def test_flags_win_over_the_file(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text(TOML)
    config = parse_config(
        [
            "--config",
            str(file),
            "--bootstrap-servers",
            "flag-broker:9092",
            "--topics",
            "refunds",
            "--trigger",
            "once",
            "--kafka-option",
            "client.id=from-flag",
            "--stop-at-offsets",
            '{"refunds": {"3": 1}}',
        ]
    )
    assert config.bootstrap_servers == "flag-broker:9092"
    assert config.topics == ("refunds",)
    assert config.trigger == Trigger("once")
    assert config.kafka_options == {"client.id": "from-flag"}
    assert config.stop_at_offsets == {"refunds": {3: 1}}
    assert config.max_record_bytes == 4096  # not given as a flag: the file's value stays


def test_file_missing_required_setting_names_the_flag(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text(TOML.replace('dlq-path = "/file/dlq"\n', ""))
    assert config_error(["--config", str(file)]).setting == "--dlq-path"
    assert parse_config(["--config", str(file), "--dlq-path", "/x"]).dlq_path == "/x"


def test_unknown_key_in_the_file(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text(TOML + 'bootstrap-server = "typo:9092"\n')
    error = config_error(["--config", str(file)])
    assert error.setting == "--config"
    assert "bootstrap_server" in str(error)


@pytest.mark.parametrize(
    ("name", "text"),
    [("bad.toml", "topics = [unclosed"), ("bad.json", "{nope"), ("list.json", "[1, 2]")],
)
def test_unreadable_settings_files(tmp_path, name, text):
    file = tmp_path / name
    file.write_text(text)
    error = config_error(["--config", str(file)])
    assert error.setting == "--config"
    assert str(file) in str(error)


def test_missing_settings_file(tmp_path):
    error = config_error(["--config", str(tmp_path / "absent.toml")])
    assert error.setting == "--config"
    assert "absent.toml" in str(error)


def test_file_values_are_validated_like_flags(tmp_path):
    file = tmp_path / "job.json"
    settings = {**{k[2:]: v for k, v in REQUIRED.items()}, "topics": ["orders"]}
    file.write_text(json.dumps({**settings, "max-record-bytes": 0}))
    assert config_error(["--config", str(file)]).setting == "--max-record-bytes"
    file.write_text(json.dumps({**settings, "stop-at-offsets": {"orders": {"0": -3}}}))
    assert config_error(["--config", str(file)]).setting == "--stop-at-offsets"


# --- --dev ---------------------------------------------------------------------------------


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """``tempfile.mkdtemp`` under tmp_path, so dev runs leave nothing behind."""
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_dev_fills_paths_under_a_fresh_temp_dir(temp_root):
    base = ["--bootstrap-servers", "b:9092", "--processor", "m:o", "--topics", "orders", "--dev"]
    first, second = parse_config(base), parse_config(base)
    assert first.dev is True
    paths = [first.checkpoint, first.backup_path, first.dlq_path, first.output_path]
    assert all(p for p in paths)
    assert len(set(paths)) == 4
    roots = {Path(p).parent for p in paths}
    assert len(roots) == 1
    (root,) = roots
    assert root.parent == temp_root
    assert root.is_dir()
    assert Path(second.checkpoint).parent != root
    assert Path(second.checkpoint).parent.parent == temp_root


def test_dev_keeps_an_output_topic(temp_root):
    config = parse_config(argv("--dev", "--output-topic", "out"))
    assert config.output_topic == "out"
    assert config.output_path is None
    assert Path(config.checkpoint).parent.parent == temp_root


def test_dev_rejects_commit_group(temp_root):
    error = config_error(argv("--dev", "--commit-group", "g"))
    assert error.setting == "--commit-group"
    assert list(temp_root.iterdir()) == []  # refused before making a directory


# --- --help --------------------------------------------------------------------------------


def test_help_mentions_every_flag_exit_codes_and_an_example(capsys):
    with pytest.raises(SystemExit) as caught:
        parse_config(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    flags = [s for a in build_parser()._actions for s in a.option_strings if s.startswith("--")]
    assert len(flags) > 20
    missing = [flag for flag in flags if flag not in out]
    assert missing == []
    assert "exit codes" in out
    for code in ("0 ", "1 ", "2 "):
        assert code in out.split("exit codes", 1)[1]
    assert "example" in out
    assert "python -m jobs.stream --bootstrap-servers" in out


def test_unknown_flag_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        parse_config([*argv(), "--bootstrap-server-typo", "x"])
    assert caught.value.code == 2
    assert "--bootstrap-server-typo" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "flag"),
    [
        ("timezone = 5", "--timezone"),
        ("name = 5", "--name"),
        ('max-record-bytes = "big"', "--max-record-bytes"),
        ('dev = "yes"', "--dev"),
        ("topics = [1, 2]", "--topics"),
    ],
)
def test_a_mistyped_value_in_the_settings_file_names_its_setting(tmp_path, line, flag):
    file = tmp_path / "job.toml"
    file.write_text(line + "\n")
    with pytest.raises(ConfigError) as error:
        parse_config(["--config", str(file)])
    assert error.value.setting == flag


def test_a_single_kafka_option_string_in_the_settings_file_is_one_option(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text('kafka-option = "security.protocol=SASL_SSL"\nbroker-timeout = 5\n')
    argv = [
        "--config",
        str(file),
        "--bootstrap-servers",
        "b:9092",
        "--topics",
        "t",
        "--processor",
        "jobs.processors.builtin:passthrough",
        "--checkpoint",
        "c",
        "--backup-path",
        "b",
        "--dlq-path",
        "d",
    ]
    config = parse_config(argv)
    assert config.kafka_options == {"security.protocol": "SASL_SSL"}
    assert config.broker_timeout == 5.0


# --- operations: checkpoint lease, heartbeat, DLQ topic headers ------------------------------


def test_operation_settings_have_defaults_and_take_durations():
    config = parse_config(argv())
    assert (config.checkpoint_lease, config.heartbeat, config.dlq_topic_headers) == (
        30.0,
        300.0,
        "dlq",
    )
    headers = ["--dlq-topic", "d", "--dlq-topic-headers", "both"]
    config = parse_config(argv("--checkpoint-lease", "1m", "--heartbeat", "0", *headers))
    assert (config.checkpoint_lease, config.heartbeat, config.dlq_topic_headers) == (
        60.0,
        0.0,
        "both",
    )


@pytest.mark.parametrize(
    ("extra", "flag", "words"),
    [
        (["--checkpoint-lease", "2s"], "--checkpoint-lease", "at least 3s"),
        (["--checkpoint-lease", "soon"], "--checkpoint-lease", "not a duration"),
        (["--heartbeat", "often"], "--heartbeat", "not a duration"),
        (["--dlq-topic-headers", "connect"], "--dlq-topic-headers", "needs --dlq-topic"),
    ],
)
def test_bad_operation_settings_name_the_flag(extra, flag, words):
    error = config_error(argv(*extra))
    assert error.setting == flag and words in str(error)


def test_operation_settings_in_a_settings_file(tmp_path):
    file = tmp_path / "job.toml"
    file.write_text('checkpoint-lease = "45s"\nheartbeat = 120\n')
    config = parse_config(argv("--config", str(file)))
    assert (config.checkpoint_lease, config.heartbeat) == (45.0, 120.0)
