"""Bad settings fail before Spark starts, naming the setting; secrets never show."""

from __future__ import annotations

import logging

import pytest

from kafka_utils.timing import scaled
from tests.integration.job_runs import (
    JobPaths,
    replaced,
    run_in_process,
    start_subprocess,
    summary_from,
)

SECRET = "s3cr3t-Pa55word"
JAAS = (
    "org.apache.kafka.common.security.plain.PlainLoginModule required "
    f'username="alice" password="{SECRET}";'
)


@pytest.fixture
def base_args(kafka_utils, topic, tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    args = JobPaths(tmp_path).args(kafka_utils.broker, topic(), "stream_processors:by_value")
    return [*args, "--trigger", "available-now"]


def without(args: list[str], flag: str) -> list[str]:
    i = args.index(flag)
    return args[:i] + args[i + 2 :]


@pytest.mark.parametrize(
    ("change", "setting", "words"),
    [
        (lambda a: without(a, "--bootstrap-servers"), "--bootstrap-servers", "required"),
        (lambda a: without(a, "--processor"), "--processor", "required"),
        (lambda a: without(a, "--checkpoint"), "--checkpoint", "required"),
        (lambda a: without(a, "--backup-path"), "--backup-path", "required"),
        (lambda a: without(a, "--dlq-path"), "--dlq-path", "required"),
        (lambda a: without(a, "--topics"), "--topics", "--topic-pattern"),
        (lambda a: replaced(a, "--processor", "no.such.module:f"), "--processor", "no.such"),
        (lambda a: replaced(a, "--processor", "json:nothing"), "--processor", "no 'nothing'"),
        (lambda a: replaced(a, "--processor", "json:__doc__"), "--processor", "not a function"),
        (lambda a: replaced(a, "--processor", "json:dumps"), "--processor", "output_schema"),
        (lambda a: [*a, "--stop-at-offsets", "{oops"], "--stop-at-offsets", "not valid JSON"),
        (lambda a: [*a, "--starting-offsets", "{oops"], "--starting-offsets", "JSON"),
        (lambda a: [*a, "--max-record-bytes", "-1"], "--max-record-bytes", "positive"),
        (lambda a: [*a, "--max-offsets-per-trigger", "0"], "--max-offsets-per-trigger", "positive"),
        (lambda a: [*a, "--trigger", "sometimes"], "--trigger", "available-now"),
        (
            lambda a: replaced(a, "--dlq-path", a[a.index("--dlq-path") + 1] + "/../a-file/dlq"),
            "--dlq-path",
            "writable",
        ),
        (lambda a: [*a, "--timezone", "Mars/Olympus"], "--timezone", "unknown zone"),
        (lambda a: replaced(a, "--topics", "no-such-topic-anywhere"), "--topics", "do not exist"),
    ],
)
def test_a_bad_setting_fails_with_exit_code_2_naming_it(base_args, caplog, change, setting, words):
    assert run_in_process(change(base_args)) == 2
    message = caplog.records[-1].getMessage()
    assert message.startswith(f"{setting}:") and words in message, message


def test_an_unreachable_broker_fails_within_the_bound_naming_the_address(base_args, caplog):
    args = [*replaced(base_args, "--bootstrap-servers", "127.0.0.1:1"), "--broker-timeout", "2s"]
    assert run_in_process(args) == 1
    message = caplog.records[-1].getMessage()
    assert "127.0.0.1:1" in message and "within 2s" in message


def test_secrets_given_as_kafka_options_never_show(base_args, caplog, capsys):
    args = [
        *replaced(base_args, "--bootstrap-servers", "127.0.0.1:1"),
        "--broker-timeout",
        "1s",
        "--kafka-option",
        f"sasl.jaas.config={JAAS}",
        "--kafka-option",
        f"ssl.key.password={SECRET}",
    ]
    assert run_in_process(args) == 1
    assert run_in_process([*args[:-1], "ssl.key.password"]) == 2
    captured = capsys.readouterr()
    assert SECRET not in caplog.text + captured.out + captured.err


@pytest.mark.slow
def test_a_full_run_logs_its_settings_without_the_secret(kafka_utils, topic, tmp_path):
    name = topic()
    kafka_utils.send_messages(name, [("k", "ok")] * 3)
    args = [
        *JobPaths(tmp_path).args(kafka_utils.broker, name, "stream_processors:by_value"),
        "--trigger",
        "available-now",
        "--kafka-option",
        f"sasl.jaas.config={JAAS}",
    ]
    log = tmp_path / "job.log"
    assert start_subprocess(args, log).wait(timeout=scaled(300)) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert summary_from(text)["read"] == 3
    assert "sasl.jaas.config" in text and "redacted" in text
    assert SECRET not in text


def test_help_reads_like_documentation(capsys):
    with pytest.raises(SystemExit) as exit_:
        run_in_process(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for words in (
        "--bootstrap-servers",
        "--processor",
        "--stop-at-offsets",
        "exit codes",
        "example",
    ):
        assert words in text


logging.getLogger("jobs").setLevel(logging.INFO)


@pytest.mark.slow
def test_a_checkpoint_of_another_job_name_or_topic_set_is_refused(
    kafka_utils, topic, tmp_path, caplog
):
    first, second = topic(), topic()
    kafka_utils.send_messages(first, [(b"k", b"ok")])
    args = JobPaths(tmp_path).args(kafka_utils.broker, first, "stream_processors:by_value")
    args = [*args, "--trigger", "available-now"]
    assert run_in_process(args) == 0

    with caplog.at_level(logging.ERROR, logger="jobs"):
        assert run_in_process(replaced(args, "--name", "another")) == 2
        assert run_in_process(replaced(args, "--topics", f"{first},{second}")) == 2
    assert "belongs to job 'test', not 'another' (--name)" in caplog.text
    assert f"holds the offsets of topics ['{first}'], but this job reads" in caplog.text
    assert "Traceback" not in caplog.text
    assert run_in_process(args) == 0
