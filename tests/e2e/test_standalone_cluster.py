"""The packaged job on a real Spark standalone cluster: one master and one worker started from
the pyspark install, the job submitted with ``spark-submit --master spark://…``.

As in ``test_spark_submit.py``, the driver and the executors run a Python that has the
project's dependencies but not the project: ``jobs`` comes from the zip built by
``python -m tools.package``, the processor from the module shipped beside it in ``--py-files``.
Every process listens on the loopback only, and none outlives the test.
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest

from kafka_utils import Message
from kafka_utils.embedded import free_port
from kafka_utils.jvm import die_with_parent
from kafka_utils.timing import scaled
from tests.e2e.test_spark_submit import (
    SPARK_CONF,
    assert_exactly_once,
    failure,
    submit_env,
    summary_from,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PYSPARK_HOME = Path(pyspark.__file__).resolve().parent
PROCESSORS = REPO / "tests" / "stream_processors.py"
PROCESSOR = "stream_processors:by_value"
START_TIMEOUT = 120
SUBMIT_TIMEOUT = 420
STOP_TIMEOUT = 30
# value → output rows per record; the rest go to the DLQ with this error type
OUTPUT_ROWS = {"ok": 1, "fanout:3": 3, "filter": 0}
DLQ_ERRORS = {"raise:KeyError": "KeyError", "wrong-type": "OutputSchemaMismatch"}


@dataclass
class Daemon:
    """A Spark master or worker JVM, in its own process group (its executors join it)."""

    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL to whatever is left after ``STOP_TIMEOUT``."""
        _signal_group(self.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(scaled(STOP_TIMEOUT))
        _signal_group(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class StandaloneCluster:
    master_url: str
    ui: str
    daemons: list[Daemon]
    work_dir: Path

    def pids(self) -> list[int]:
        return [d.popen.pid for d in self.daemons]

    def report(self) -> str:
        executor_logs = sorted(self.work_dir.rglob("stderr"))
        tails = [d.tail() for d in self.daemons]
        tails += [f"--- {p} ---\n{p.read_text(errors='replace')[-3000:]}" for p in executor_logs]
        return "\n".join(tails)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def daemon_env(python: Path, root: Path) -> dict[str, str]:
    """What the master and worker (and so the executors) see: no repo on PYTHONPATH, scratch
    space under ``root``, and no REST submission server on its fixed port."""
    return {
        **submit_env(python),
        "SPARK_HOME": str(PYSPARK_HOME),
        "SPARK_DAEMON_MEMORY": "512m",
        "SPARK_LOCAL_DIRS": str(root / "local"),
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
    }


def start_daemon(name: str, args: list[str], env: dict[str, str], log: Path) -> Daemon:
    """``bin/spark-class`` execs the JVM, so the child's pid is the daemon's."""
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [str(PYSPARK_HOME / "bin" / "spark-class"), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return Daemon(name, popen, log)


def master_state(ui: str) -> dict:
    with urllib.request.urlopen(f"{ui}/json/", timeout=5) as answer:
        return json.load(answer)


def wait_for_worker(cluster: StandaloneCluster, timeout: float) -> None:
    """Until the master lists one ALIVE worker with its 2 cores; fail at once if a daemon dies."""
    deadline = time.monotonic() + scaled(timeout)
    last: object = "no answer yet"
    while time.monotonic() < deadline:
        dead = [d.name for d in cluster.daemons if d.popen.poll() is not None]
        if dead:
            pytest.fail(f"{dead} exited while starting\n{cluster.report()}")
        try:
            workers = master_state(cluster.ui)["workers"]
            if [w for w in workers if w["state"] == "ALIVE" and w["cores"] == 2]:
                return
            last = workers
        except OSError as e:
            last = e
        time.sleep(0.2)
    pytest.fail(f"no worker registered within {timeout}s (last: {last})\n{cluster.report()}")


@pytest.fixture(scope="module")
def standalone(cluster_python: Path, tmp_path_factory) -> Iterator[StandaloneCluster]:
    root = tmp_path_factory.mktemp("standalone")
    env = daemon_env(cluster_python, root)
    port, ui_port = free_port(), free_port()
    master_url, ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    daemons: list[Daemon] = []
    try:
        daemons.append(
            start_daemon(
                "master",
                ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(ui_port)],
                env,
                root / "master.log",
            )
        )  # fmt: skip
        daemons.append(
            start_daemon(
                "worker",
                ["org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1",
                 "--port", str(free_port()), "--webui-port", str(free_port()),
                 "--cores", "2", "--memory", "2g", "--work-dir", str(root / "work")],
                env,
                root / "worker.log",
            )
        )  # fmt: skip
        cluster = StandaloneCluster(master_url, ui, daemons, root / "work")
        wait_for_worker(cluster, START_TIMEOUT)
        yield cluster
    finally:
        for daemon in reversed(daemons):
            daemon.stop()
    assert not [p for p in (d.popen.pid for d in daemons) if alive(p)]


# -- processes and sockets ---------------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants(pids: Iterable[int]) -> set[int]:
    """The processes and all their children, as far as /proc shows them right now."""
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        with contextlib.suppress(OSError):  # the process may end while it is read
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in children.read_text().split()]
    return found


def listening_addresses(pids: Iterable[int]) -> set[str]:
    """``host:port`` of every TCP socket these processes listen on."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(_address(fields[1]))
    return found


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = b"".join(bytes.fromhex(host[i : i + 8])[::-1] for i in range(0, len(host), 8))
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return f"{ip}:{int(port, 16)}"


def not_loopback(addresses: Iterable[str]) -> list[str]:
    return sorted(a for a in addresses if not ipaddress.ip_address(a.rsplit(":", 1)[0]).is_loopback)


# -- the run -----------------------------------------------------------------------------------


def build_package(dist: Path) -> dict[str, Path]:
    """``python -m tools.package`` (what ``make package`` runs), into ``dist``."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.package", "--dist", str(dist)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    files = {
        "zip": dist / "kafka_stream_jobs.zip",
        "main": dist / "stream.py",
        "jars": dist / "jars.txt",
    }
    assert all(f.is_file() for f in files.values()), sorted(dist.iterdir())
    return files


def submit_command(cluster: StandaloneCluster, package: dict[str, Path], args: list[str]):
    log4j = SPARK_CONF / "log4j2.properties"
    return [
        str(PYSPARK_HOME / "bin" / "spark-submit"), "--master", cluster.master_url,
        "--deploy-mode", "client",
        "--py-files", f"{package['zip']},{PROCESSORS}",
        "--jars", package["jars"].read_text().strip(),
        "--properties-file", str(SPARK_CONF / "spark-defaults.conf"),
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{log4j}",
        str(package["main"]), *args,
    ]  # fmt: skip


def run_submit(
    command: list[str], env: dict[str, str], cwd: Path, watched: list[int]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run spark-submit to its end (killed after ``SUBMIT_TIMEOUT``); meanwhile note every
    address that it, the daemons ``watched`` or any of their children listen on."""
    out, err = cwd / "submit.stdout", cwd / "submit.stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        popen = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True
        )
    seen: set[str] = set()
    deadline = time.monotonic() + scaled(SUBMIT_TIMEOUT)
    try:
        while popen.poll() is None and time.monotonic() < deadline:
            seen |= listening_addresses(descendants([popen.pid, *watched]))
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(0.5)
    finally:
        if popen.poll() is None:
            _signal_group(popen.pid, signal.SIGKILL)
        popen.wait()
    done = subprocess.CompletedProcess(command, popen.returncode, out.read_text(), err.read_text())
    if time.monotonic() >= deadline:
        pytest.fail(failure(done, f"spark-submit still ran after {SUBMIT_TIMEOUT}s"))
    return done, seen


def job_args(bootstrap: str, topic: str, tables: dict[str, str]) -> list[str]:
    return [
        "--bootstrap-servers", bootstrap, "--topics", topic, "--processor", PROCESSOR,
        "--checkpoint", tables["checkpoint"], "--backup-path", tables["backup"],
        "--dlq-path", tables["dlq"], "--output-path", tables["output"],
        "--ledger-path", tables["ledger"], "--trigger", "available-now",
        "--max-offsets-per-trigger", "60", "--name", "standalone-e2e",
    ]  # fmt: skip


def messages(count: int) -> list[Message]:
    kinds = [*OUTPUT_ROWS, *DLQ_ERRORS]
    return [Message(f"k{i}", kinds[i % len(kinds)], (), i % 3) for i in range(count)]


def run_audit(tables: dict[str, str], topic: str, bootstrap: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "jobs.audit", "--backup-path", tables["backup"],
        "--ledger-path", tables["ledger"], "--dlq-path", tables["dlq"],
        "--output-path", tables["output"], "--topics", topic,
        "--bootstrap-servers", bootstrap, "--json",
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=scaled(300))


def test_packaged_job_on_a_standalone_cluster_ends_with_a_clean_audit(
    standalone, cluster_python, kafka_utils, spark, unique_name, tmp_path
):
    topic = unique_name("standalone")
    kafka_utils.create_topics([topic], num_partitions=3)
    sent = messages(150)
    produced = dict(
        zip(kafka_utils.send_messages(topic, sent), [m.value for m in sent], strict=True)
    )
    package = build_package(tmp_path / "dist")
    workdir = tmp_path / "run"
    workdir.mkdir()
    tables = {n: str(workdir / n) for n in ("checkpoint", "backup", "dlq", "output", "ledger")}
    command = submit_command(standalone, package, job_args(kafka_utils.broker, topic, tables))

    done, listening = run_submit(command, submit_env(cluster_python), workdir, standalone.pids())

    assert done.returncode == 0, failure(done, "spark-submit failed") + standalone.report()
    summary = summary_from(done.stdout)
    assert summary is not None, failure(done, "no summary line on stdout")
    assert summary["read"] == 150 and summary["batches"] >= 3, summary
    assert listening and not not_loopback(listening), f"listening on {sorted(listening)}"
    applications = master_state(standalone.ui)["completedapps"]
    assert [a["name"] for a in applications] == ["kafka-stream:standalone-e2e"], applications

    backup = spark.read.format("delta").load(tables["backup"]).collect()
    assert_exactly_once([(r["partition"], r["offset"]) for r in backup], set(produced))
    output = spark.read.format("delta").load(tables["output"]).collect()
    assert collections.Counter((r["source_partition"], r["source_offset"]) for r in output) == {
        c: OUTPUT_ROWS[v] for c, v in produced.items() if OUTPUT_ROWS.get(v)
    }
    dlq = spark.read.format("delta").load(tables["dlq"]).collect()
    assert_exactly_once([(r["partition"], r["offset"]) for r in dlq], {
        c for c, v in produced.items() if v in DLQ_ERRORS
    })  # fmt: skip
    assert {r["error_type"] for r in dlq} == set(DLQ_ERRORS.values())

    audit = run_audit(tables, topic, kafka_utils.broker)
    assert audit.returncode == 0, f"audit found problems:\n{audit.stdout}\n{audit.stderr[-3000:]}"
