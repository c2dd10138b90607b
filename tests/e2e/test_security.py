"""Security: SASL brokers (and TLS), the job, replay and audit logging in through
``--kafka-option``, no secret left in anything a run writes, and user-given paths that are
never run as code.

The SASL broker is its own embedded Kafka (SCRAM-SHA-256 on a SASL_PLAINTEXT listener),
started once for this module beside the session's plain one; the TLS test starts another
(PLAIN over SASL_SSL).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from kafka_utils import KafkaUtils, Message, SaslUsers
from kafka_utils.timing import scaled
from tests.integration.job_runs import REPO, JobPaths, start_subprocess, summary_from, table

SECRET = "Scram-s3cret-7f3a9c"
BOB_SECRET = "Bob-s3cret-41d0e2"
WRONG = "Wr0ng-guess-c55e1b"
PROCESSOR = "stream_processors:by_value"
JOB_TIMEOUT = 300
# The job's Spark at INFO, with an event log: more places for a secret to slip into.
LOG4J_INFO = """\
rootLogger.level = info
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
# Spark turns a pyspark driver down to WARN unless its gateway's logger is configured.
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = info
"""


@pytest.fixture(scope="module")
def sasl_kafka() -> Iterator[KafkaUtils]:
    users = SaslUsers({"alice": SECRET, "bob": BOB_SECRET}, mechanism="SCRAM-SHA-256")
    with KafkaUtils(backend="embedded", sasl=users) as kafka:
        yield kafka


# -- the SASL broker of KafkaUtils -------------------------------------------------------------


def test_the_harness_logs_its_own_clients_in(sasl_kafka, unique_name):
    topic = unique_name("sasl")
    sasl_kafka.create_topics([topic], num_partitions=2)
    sasl_kafka.send_messages(topic, [Message(b"k", f"v{i}", (), i % 2) for i in range(6)])

    assert sorted(r.value for r in sasl_kafka.read_records(topic)) == [
        f"v{i}".encode() for i in range(6)
    ]
    assert sasl_kafka.end_offsets(topic) == {0: 3, 1: 3}
    assert SECRET not in repr(sasl_kafka.sasl) + repr(sasl_kafka.cluster.nodes)


@pytest.mark.parametrize(
    "login",
    [
        {},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256"}
        | {"sasl_plain_username": "alice", "sasl_plain_password": WRONG},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256"}
        | {"sasl_plain_username": "mallory", "sasl_plain_password": SECRET},
    ],
    ids=["no-login", "wrong-password", "unknown-user"],
)
def test_the_broker_lets_in_nobody_else(sasl_kafka, login):
    with pytest.raises(KafkaError):
        KafkaAdminClient(bootstrap_servers=sasl_kafka.broker, bootstrap_timeout_ms=3000, **login)


# -- the job over SASL -------------------------------------------------------------------------


def messages() -> list[Message]:
    """36 records over 2 partitions: 20 → one output row, 5 → two, 5 filtered, 6 → the DLQ."""
    values = ["ok"] * 20 + ["fanout:2"] * 5 + ["filter"] * 5 + ["raise:KeyError"] * 6
    return [Message(f"k{i}", v, (), i % 2) for i, v in enumerate(values)]


def kafka_flags(options: dict[str, str]) -> list[str]:
    return [arg for key, value in options.items() for arg in ("--kafka-option", f"{key}={value}")]


def run_job(args: list[str], log: Path, timeout: float = JOB_TIMEOUT, **env: str) -> int:
    """Run ``python -m jobs.stream`` to its end; kill it and fail if ``timeout`` passes."""
    return wait_for(start_subprocess(args, log, **env), log, timeout)


def run_module(module: str, args: list[str], log: Path, timeout: float = JOB_TIMEOUT) -> int:
    """``python -m module args`` from the repo, its output appended to ``log``."""
    with log.open("ab") as out:
        command = [sys.executable, "-m", module, *args]
        popen = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    return wait_for(popen, log, timeout)


def wait_for(job: subprocess.Popen, log: Path, timeout: float) -> int:
    began = time.monotonic()
    try:
        code = job.wait(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        job.kill()
        job.wait()
        pytest.fail(f"{job.args[:3]} still ran after {timeout}s:\n{log.read_text()[-3000:]}")
    print(f"{job.args[:3]} exited {code} after {time.monotonic() - began:.1f}s")
    return code


def verbose_spark_env(root: Path) -> dict[str, str]:
    """Spark at INFO with an event log, and every temporary file of the run under ``root``."""
    (root / "events").mkdir(parents=True)
    (root / "tmp").mkdir()
    log4j = root / "log4j2-info.properties"
    log4j.write_text(LOG4J_INFO)
    submit_args = [
        f"--driver-java-options -Dlog4j2.configurationFile=file:{log4j}",
        "--conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false",
        f"--conf spark.eventLog.dir=file:{root / 'events'}",
        "pyspark-shell",
    ]
    return {
        "PYSPARK_SUBMIT_ARGS": " ".join(submit_args),
        "JAVA_TOOL_OPTIONS": f"-Djava.io.tmpdir={root / 'tmp'}",
        "SPARK_LOCAL_DIRS": str(root / "tmp"),
        "TMPDIR": str(root / "tmp"),
    }


def files_holding(needle: str, *roots: Path) -> list[Path]:
    data = needle.encode()
    return [p for root in roots for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


def rows_holding(spark, needle: str, *paths: str) -> list[str]:
    """Table rows that hold ``needle``: data files are compressed, a byte scan can miss it."""
    return [
        f"{path}: {row}"
        for path in paths
        for row in table(spark, path).collect()
        if needle in repr(row.asDict())
    ]


@pytest.mark.slow
def test_the_job_logs_in_with_kafka_options_and_leaves_no_secret_behind(
    sasl_kafka, spark, unique_name, tmp_path
):
    topic, dlq_topic, group = unique_name("orders"), unique_name("dlq"), unique_name("group")
    sasl_kafka.create_topics([topic], num_partitions=2)
    sasl_kafka.create_topics([dlq_topic])
    placed = sasl_kafka.send_messages(topic, messages())
    produced = {coordinate: m.value for coordinate, m in zip(placed, messages(), strict=True)}
    paths = JobPaths(tmp_path / "run")
    args = [
        *paths.args(sasl_kafka.broker, topic, PROCESSOR),
        "--trigger", "available-now", "--dlq-topic", dlq_topic, "--commit-group", group,
        *kafka_flags(sasl_kafka.java_options()),
    ]  # fmt: skip
    log = tmp_path / "run" / "job.log"

    code = run_job(args, log, **verbose_spark_env(tmp_path / "run"))

    text = log.read_text()
    assert code == 0, text[-3000:]
    summary = summary_from(text)
    assert (summary["read"], summary["output"]) == (36, 30), summary
    assert (summary["filtered"], summary["dlq"]) == (5, 6), summary
    backup = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(backup) == sorted(produced)
    output = collections.Counter(
        (r["source_partition"], r["source_offset"]) for r in table(spark, paths.output).collect()
    )
    fanned_out = {"ok": 1, "fanout:2": 2}
    assert output == {c: fanned_out[v] for c, v in produced.items() if v in fanned_out}
    dlq = {
        (r["partition"], r["offset"]): r["error_type"] for r in table(spark, paths.dlq).collect()
    }
    assert dlq == {c: "KeyError" for c, v in produced.items() if v == "raise:KeyError"}
    assert len(sasl_kafka.read_records(dlq_topic)) == 6
    assert sasl_kafka.consumer_lag(group, topic) == {0: 0, 1: 0}
    audit_log = tmp_path / "run" / "audit.log"
    audit = run_module("jobs.audit", audit_args(paths, sasl_kafka, topic), audit_log)
    assert audit == 0, audit_log.read_text()[-3000:]

    assert "redacted" in text, "the job's settings line is missing"
    assert "sasl.jaas.config = [hidden]" in text, "Spark's Kafka clients did not log at INFO"
    assert files_holding("kafka.sasl.jaas.config", tmp_path / "run" / "events"), "no event log"
    leaks = files_holding(SECRET, tmp_path)
    assert not leaks, f"the password is in {leaks}"
    tables = (paths.backup, paths.output, paths.dlq, paths.ledger)
    assert not rows_holding(spark, SECRET, *tables)


def audit_args(paths: JobPaths, kafka: KafkaUtils, topic: str) -> list[str]:
    """A clean audit, compared with what the SASL broker holds."""
    return [
        "--backup-path", paths.backup, "--ledger-path", paths.ledger, "--dlq-path", paths.dlq,
        "--output-path", paths.output, "--topics", topic, "--bootstrap-servers", kafka.broker,
        *kafka_flags(kafka.java_options("bob")),
    ]  # fmt: skip


@pytest.mark.slow
def test_a_kafka_replay_logs_in_with_kafka_options_and_leaves_no_secret_behind(
    sasl_kafka, spark, unique_name, tmp_path
):
    topic = unique_name("replayed")
    sasl_kafka.create_topics([topic], num_partitions=2)
    placed = sasl_kafka.send_messages(topic, messages())
    produced = {coordinate: m.value for coordinate, m in zip(placed, messages(), strict=True)}
    paths = JobPaths(tmp_path / "run")
    args = [
        "kafka", "--bootstrap-servers", sasl_kafka.broker, "--topics", topic,
        "--starting-offsets", json.dumps({topic: {"0": 0, "1": 0}}), "--processor", PROCESSOR,
        "--backup-path", paths.backup, "--dlq-path", paths.dlq, "--output-path", paths.output,
        "--ledger-path", paths.ledger, *kafka_flags(sasl_kafka.java_options()),
    ]  # fmt: skip
    log = tmp_path / "replay.log"

    code = run_module("jobs.replay", args, log)

    text = log.read_text()
    assert code == 0, text[-3000:]
    summary = json.loads(text.strip().splitlines()[-1])
    assert (summary["read"], summary["output"]) == (36, 30), summary
    backup = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(backup) == sorted(produced)
    dlq = [(r["partition"], r["offset"]) for r in table(spark, paths.dlq).collect()]
    assert sorted(dlq) == sorted(c for c, v in produced.items() if v == "raise:KeyError")
    assert "redacted" in text
    assert not files_holding(SECRET, tmp_path), "the password is in the replay's files"
    assert not rows_holding(spark, SECRET, paths.backup, paths.output, paths.dlq, paths.ledger)


@pytest.mark.slow
def test_a_plain_login_over_tls_works_for_the_harness_and_the_job(spark, tmp_path):
    users = SaslUsers({"carol": SECRET}, mechanism="PLAIN")
    with KafkaUtils(backend="embedded", sasl=users, tls=True) as kafka:
        kafka.create_topics(["tls-orders"], num_partitions=2)
        placed = kafka.send_messages("tls-orders", messages())
        assert len(kafka.read_records("tls-orders")) == 36
        options = kafka.java_options()
        assert options["security.protocol"] == "SASL_SSL"
        assert options["ssl.truststore.type"] == "PEM"
        paths = JobPaths(tmp_path / "run")
        args = [
            *paths.args(kafka.broker, "tls-orders", PROCESSOR), "--trigger", "available-now",
            *kafka_flags(options),
        ]  # fmt: skip
        log = tmp_path / "job.log"

        code = run_job(args, log)

        broker_log = next(iter(kafka.cluster.nodes.values())).process.log_path.read_text()
    assert code == 0, log.read_text()[-3000:]
    assert summary_from(log.read_text())["read"] == 36
    backup = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(backup) == sorted(placed)
    assert not files_holding(SECRET, tmp_path), "the password is in the job's files"
    assert SECRET not in broker_log, "the broker logged a password"


def test_a_wrong_password_fails_fast_naming_authentication(sasl_kafka, unique_name, tmp_path):
    topic = unique_name("orders")
    sasl_kafka.create_topics([topic])
    paths = JobPaths(tmp_path / "run")
    options = sasl_kafka.java_options("alice", password=WRONG)
    args = [
        *paths.args(sasl_kafka.broker, topic, PROCESSOR),
        "--trigger", "available-now", "--broker-timeout", "20s", *kafka_flags(options),
    ]  # fmt: skip
    log = tmp_path / "job.log"

    code = run_job(args, log, timeout=120)

    text = log.read_text()
    assert code == 2, text[-3000:]
    last = text.strip().splitlines()[-1]
    assert "--kafka-option" in last and "authentication failed" in last, last
    assert "user 'alice'" in last and "SCRAM-SHA-256" in last, last
    assert not files_holding(WRONG, tmp_path), "the wrong password was printed"
    assert not Path(paths.checkpoint).exists(), "Spark started although the login failed"


# -- user-given paths are data, never code -----------------------------------------------------

SHELL_TRICKS = {
    "checkpoint": "ckpt $(touch {marker}-checkpoint)",
    "backup-path": "backup; touch {marker}-backup",
    "dlq-path": "dlq`touch {marker}-dlq`",
    "output-path": "out | touch {marker}-output",
    "ledger-path": "ledger && touch {marker}-ledger",
}


@pytest.mark.slow
def test_path_values_are_literal_paths_and_never_run(kafka_utils, spark, topic, tmp_path):
    name = topic(partitions=1)
    kafka_utils.send_messages(name, [("k", "ok"), ("k", "raise:KeyError")])
    marker = tmp_path / "pwned"
    paths = {flag: str(tmp_path / t.format(marker=marker)) for flag, t in SHELL_TRICKS.items()}
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f'output-path = "{paths["output-path"]}"\nledger-path = "{paths["ledger-path"]}"\n'
    )
    args = [
        "--bootstrap-servers", kafka_utils.broker, "--topics", name, "--processor", PROCESSOR,
        "--checkpoint", paths["checkpoint"], "--backup-path", paths["backup-path"],
        "--dlq-path", paths["dlq-path"], "--config", str(settings), "--trigger", "available-now",
    ]  # fmt: skip
    log = tmp_path / "job.log"

    code = run_job(args, log)

    assert code == 0, log.read_text()[-3000:]
    assert not list(tmp_path.glob("pwned*")), "a path value was run as a command"
    for flag in ("backup-path", "dlq-path", "output-path", "ledger-path"):
        assert Path(paths[flag], "_delta_log").is_dir(), f"{flag}: no table at the literal path"
        assert table(spark, paths[flag]).count() >= 1, flag
    assert Path(paths["checkpoint"], "commits").is_dir()


@pytest.mark.parametrize(
    "template",
    ["{file}", "{folder}/evil_processor:run", "../evil_processor:run", "evil_processor.py:run"],
)
def test_a_path_like_processor_is_refused_before_anything_runs(tmp_path, template):
    folder = tmp_path / "modules"
    folder.mkdir()
    marker = tmp_path / "pwned"
    evil = folder / "evil_processor.py"
    evil.write_text(f"from pathlib import Path\nPath({str(marker)!r}).touch()\nrun = None\n")
    value = template.format(file=evil, folder=folder)
    args = JobPaths(tmp_path / "run").args("127.0.0.1:9", "orders", value)
    log = tmp_path / "job.log"
    python_path = os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])

    code = run_job(args, log, timeout=120, PYTHONPATH=python_path)

    text = log.read_text()
    assert code == 2, text[-3000:]
    assert "--processor:" in text and "package.module:object" in text, text[-2000:]
    assert not marker.exists(), f"--processor {value!r} ran {evil}"


def test_a_settings_file_path_is_only_read(tmp_path):
    marker = tmp_path / "pwned"
    args = ["--config", f"{tmp_path}/settings.toml; touch {marker}"]
    log = tmp_path / "job.log"

    code = run_job(args, log, timeout=120)

    assert code == 2, log.read_text()[-3000:]
    assert "--config: cannot read" in log.read_text()
    assert not marker.exists()
