"""The packaged job under ``spark-submit``, the way a cluster runs it.

The job runs from a directory outside the repo, with a Python that has the project's
dependencies but not the project: the repo's ``.venv`` holds an editable install, which would
make ``jobs`` and ``kafka_utils`` importable from anywhere and hide a missing file in the zip or
a stray ``kafka_utils`` import. So the only ``jobs`` the driver and executors see is the zip.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kafka_utils import assert_eventually
from kafka_utils.timing import scaled
from tests.integration.job_runs import batch_ids, replaced, uncommitted_batches
from tools.package import Package, build

REPO = Path(__file__).resolve().parents[2]
SPARK_SUBMIT = REPO / ".venv" / "bin" / "spark-submit"
SPARK_CONF = REPO / "spark-conf"
PROCESSOR = "jobs.processors.builtin:json_events"
BAD_VALUES = {
    b"\xff": "UndecodableValue",
    b"[1]": "NotAnObject",
    b'{"event_id": "x"}': "MissingField",
}
SUBMIT_TIMEOUT = 300


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return build(tmp_path_factory.mktemp("package") / "dist")


@pytest.mark.slow
def test_packaged_job_runs_under_spark_submit(
    kafka_utils, spark, unique_name, package, cluster_python, tmp_path
):
    topic = unique_name("spark-submit")
    kafka_utils.create_topics([topic], num_partitions=3)
    messages = sample_messages(good=170, bad_each=10)
    placed = kafka_utils.send_messages(topic, messages)
    produced = dict(zip(placed, messages, strict=True))
    workdir = tmp_path / "run"
    workdir.mkdir()
    tables = {name: str(workdir / name) for name in ("checkpoint", "backup", "dlq", "output")}

    done = spark_submit(
        package, cluster_python, workdir, job_args(kafka_utils.broker, topic, tables)
    )

    assert done.returncode == 0, failure(done, "spark-submit failed")
    summary = summary_from(done.stdout)
    assert summary is not None, failure(done, "no summary line on stdout")
    assert summary["read"] == len(messages), failure(done, f"summary {summary}")
    assert (summary["output"], summary["dlq"]) == (170, 30), f"summary {summary}"

    backup = spark.read.format("delta").load(tables["backup"]).select("partition", "offset")
    assert_exactly_once([(r[0], r[1]) for r in backup.collect()], set(produced))

    good = {c for c, (_, value) in produced.items() if value not in BAD_VALUES}
    output = spark.read.format("delta").load(tables["output"]).collect()
    assert_exactly_once([(r["source_partition"], r["source_offset"]) for r in output], good)
    for row in output:
        key, _ = produced[(row["source_partition"], row["source_offset"])]
        assert (row["event_id"], row["kind"], row["amount"]) == (key, "view", 2.5)

    dlq = spark.read.format("delta").load(tables["dlq"]).collect()
    assert_exactly_once([(r["partition"], r["offset"]) for r in dlq], set(produced) - good)
    assert {(r["partition"], r["offset"]): r["error_type"] for r in dlq} == {
        c: BAD_VALUES[value] for c, (_, value) in produced.items() if value in BAD_VALUES
    }


def test_bad_setting_exits_2_naming_it(package, cluster_python, tmp_path):
    tables = {name: str(tmp_path / name) for name in ("checkpoint", "backup", "dlq", "output")}
    args = job_args("127.0.0.1:9", "no-such-topic", tables)
    without_processor = [a for a in args if a not in ("--processor", PROCESSOR)]

    done = spark_submit(package, cluster_python, tmp_path, without_processor)

    assert done.returncode == 2, failure(done, "expected exit code 2")
    assert "--processor" in done.stdout + done.stderr, failure(done, "the setting is not named")


@pytest.mark.slow
def test_sigterm_to_spark_submit_itself_stops_after_the_running_batch(
    kafka_utils, unique_name, package, cluster_python, tmp_path
):
    """What a scheduler does (Kubernetes deleting the driver pod, YARN, systemd): SIGTERM to
    spark-submit's JVM, not to the job's Python process."""
    topic = unique_name("spark-submit-stop")
    kafka_utils.create_topics([topic], num_partitions=3)
    kafka_utils.send_messages(topic, sample_messages(good=300, bad_each=0))
    tables = {name: str(tmp_path / name) for name in ("checkpoint", "backup", "dlq", "output")}
    args = replaced(job_args(kafka_utils.broker, topic, tables), "--trigger", "processing-time=0s")
    args += ["--max-offsets-per-trigger", "30"]
    out = tmp_path / "stdout.log"
    with out.open("w") as stdout:
        submit = subprocess.Popen(
            submit_command(package, args),
            cwd=tmp_path,
            env=submit_env(cluster_python),
            stdout=stdout,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        assert_eventually(lambda: batch_ids(out.read_text()) != [], True, timeout=SUBMIT_TIMEOUT)
        submit.send_signal(signal.SIGTERM)
        assert submit.wait(timeout=SUBMIT_TIMEOUT) == 3, out.read_text()[-4000:]
    finally:
        if submit.poll() is None:
            submit.kill()
    text = out.read_text()
    assert "stopping (SIGTERM) after the running batch" in text
    assert summary_from(text) is not None, "the job printed its summary"
    assert uncommitted_batches(tables["checkpoint"]) == []


@pytest.mark.slow
def test_the_command_make_package_prints_runs_as_printed_in_a_fresh_shell(
    kafka_utils, unique_name, tmp_path
):
    topic = unique_name("printed")
    kafka_utils.create_topics([topic], num_partitions=3)
    kafka_utils.send_messages(topic, sample_messages(good=40, bad_each=2))
    flags = ["--bootstrap-servers", kafka_utils.broker, "--topics", topic, "--processor", PROCESSOR]
    flags += ["--dev", "--trigger", "available-now"]
    built = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "tools.package", "--dist",
         str(tmp_path / "dist"), "--", *flags],
        cwd=REPO, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT, check=True,
    )  # fmt: skip
    lines = built.stdout.splitlines()
    printed = lines[lines.index("run it here, as printed (any shell, any directory):") + 1].strip()

    done = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={Path.home()}", "bash", "-c", printed],
        cwd=tmp_path, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT,
    )  # fmt: skip

    assert done.returncode == 0, failure(done, f"the printed command failed: {printed}")
    summary = summary_from(done.stdout)
    assert summary is not None and (summary["read"], summary["dlq"]) == (46, 6), failure(
        done, f"summary {summary}"
    )
    assert len(done.stderr.splitlines()) < 30, failure(done, "Spark is not quiet")


def sample_messages(good: int, bad_each: int) -> list[tuple[str, bytes]]:
    """``good`` valid events keyed by their event_id and ``bad_each`` records of each bad kind,
    shuffled together; distinct keys spread them over the partitions."""
    messages = [
        (f"e{i}", json.dumps({"event_id": f"e{i}", "user_id": i, "amount": 2.5, "kind": "view"}))
        for i in range(good)
    ]
    messages += [(f"bad{n}-{i}", v) for n, v in enumerate(BAD_VALUES) for i in range(bad_each)]
    random.Random(7).shuffle(messages)
    return [(key, value.encode() if isinstance(value, str) else value) for key, value in messages]


def job_args(bootstrap: str, topic: str, tables: dict[str, str]) -> list[str]:
    return [
        "--bootstrap-servers", bootstrap, "--topics", topic, "--processor", PROCESSOR,
        "--checkpoint", tables["checkpoint"], "--backup-path", tables["backup"],
        "--dlq-path", tables["dlq"], "--output-path", tables["output"],
        "--trigger", "available-now", "--name", "spark-submit-e2e",
    ]  # fmt: skip


def spark_submit(
    package: Package, python: Path, workdir: Path, args: list[str]
) -> subprocess.CompletedProcess[str]:
    """``spark-submit`` of the packaged job, from ``workdir``; its output captured."""
    command = submit_command(package, args)
    began = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=workdir,
            env=submit_env(python),
            capture_output=True,
            text=True,
            timeout=scaled(SUBMIT_TIMEOUT),
        )
    except subprocess.TimeoutExpired as e:
        killed = subprocess.CompletedProcess(command, -9, _text(e.stdout), _text(e.stderr))
        pytest.fail(failure(killed, f"spark-submit still running after {SUBMIT_TIMEOUT}s"))
    print(f"spark-submit exited {done.returncode} after {time.monotonic() - began:.1f}s")
    return done


def submit_command(package: Package, args: list[str]) -> list[str]:
    log4j = SPARK_CONF / "log4j2.properties"
    return [
        str(SPARK_SUBMIT), "--master", "local[2]",
        "--py-files", str(package.zip),
        "--jars", package.jars_file.read_text().strip(),
        "--properties-file", str(SPARK_CONF / "spark-defaults.conf"),
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{log4j}",
        str(package.main), *args,
    ]  # fmt: skip


def _text(output: str | bytes | None) -> str:
    """What a timed-out run captured: bytes or str depending on where it stopped."""
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def submit_env(python: Path) -> dict[str, str]:
    """This environment without anything that points at the repo or another Spark."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "KAFKA_STREAM_FAULT")
        and not key.startswith(("PYSPARK_", "SPARK_"))
    }
    return {**env, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(python)}


def summary_from(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith('{"event": "summary"')]
    return json.loads(lines[-1]) if lines else None


def assert_exactly_once(rows: list[tuple[int, int]], expected: set[tuple[int, int]]) -> None:
    doubled = [k for k, n in collections.Counter(rows).items() if n > 1]
    assert not doubled, f"doubled: {doubled[:10]}"
    missing, unexpected = sorted(expected - set(rows)), sorted(set(rows) - expected)
    assert not missing and not unexpected, f"missing {missing[:10]}, unexpected {unexpected[:10]}"


def failure(done: subprocess.CompletedProcess[str], what: str, lines: int = 40) -> str:
    """``what``, with the exit code and the end of the job's output (Python's stdout and stderr
    are merged by spark-submit into its stdout; the JVM's log goes to stderr)."""

    def tail(text: str) -> str:
        return "\n".join(text.strip().splitlines()[-lines:])

    return (
        f"{what} (exit code {done.returncode})\n--- stdout (the job) ---\n{tail(done.stdout)}"
        f"\n--- stderr (Spark) ---\n{tail(done.stderr)}"
    )
