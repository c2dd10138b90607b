"""The crash matrix: the job, a separate process, is killed with SIGKILL at points chosen from
a seed (the pipeline's fault-injection points and plain kills between batches), restarted on
its checkpoint each time while a producer keeps writing; the audit judges the end state."""

from __future__ import annotations

import collections
import os
import random
import signal

import pytest

from kafka_utils import assert_eventually
from kafka_utils.timing import scaled
from tests.e2e.producing import ContinuousProducer
from tests.integration.job_runs import JobPaths, run_in_process, start_subprocess, table
from tests.integration.test_replay import run_audit

# Ten restarts, each a Spark start and a few batches: far beyond the suite's 600 s per test on a
# busy machine.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(3600)]

SEED = int(os.environ.get("CRASH_MATRIX_SEED", "20261124"))
KILLS = int(os.environ.get("CRASH_MATRIX_KILLS", "10"))
DANGEROUS = ("after-backup", "after-output", "after-dlq", "before-checkpoint")
PROCESSOR = "replay_processors:no_views"
FAULT = "KAFKA_STREAM_FAULT"
# A deadline, not a wait: each run needs a Spark start and a few batches, which took more than
# 300 s on a machine running several Spark suites at once.
DEADLINE = 900


def kill_plan(seed: int, kills: int) -> list[str]:
    """Each dangerous point at least once, the rest drawn from points and plain kills.

    ``point:+k``: the fault point, the k-th time this process reaches it; ``sigkill:k``: a
    SIGKILL from outside once the process has logged k batches.
    """
    rng = random.Random(seed)
    plan = [f"{point}:+{rng.randint(1, 2)}" for point in DANGEROUS]
    while len(plan) < kills:
        if rng.random() < 0.6:
            plan.append(f"{rng.choice(DANGEROUS)}:+{rng.randint(1, 3)}")
        else:
            plan.append(f"sigkill:{rng.randint(1, 3)}")
    rng.shuffle(plan)
    return plan


def batches_logged(log) -> int:
    return log.read_text(errors="replace").count('"event":"batch"') if log.exists() else 0


def test_kill_plan_is_reproducible_and_covers_every_dangerous_point():
    plan = kill_plan(SEED, KILLS)
    assert plan == kill_plan(SEED, KILLS) and len(plan) == KILLS
    assert {p.split(":")[0] for p in plan} >= set(DANGEROUS)


def test_killed_and_restarted_while_producing_every_offset_lands_exactly_once(
    kafka_utils, spark, topic, tmp_path, capsys
):
    name = topic(partitions=3)
    paths = JobPaths(tmp_path)
    args = [
        *paths.args(kafka_utils.broker, name, PROCESSOR),
        "--trigger",
        "processing-time=0s",
        "--max-offsets-per-trigger",
        "150",
    ]
    producer = ContinuousProducer(kafka_utils, name, count=60_000, per_send=10, every=0.2)
    producer.start()
    survived = collections.Counter()
    for number, kill in enumerate(kill_plan(SEED, KILLS)):
        log = tmp_path / f"run-{number}.log"
        how, _, when = kill.partition(":")
        job = start_subprocess(args, log, **({} if how == "sigkill" else {FAULT: kill}))
        try:
            if how == "sigkill":
                assert_eventually(
                    lambda log=log, when=when: batches_logged(log) >= int(when),
                    True,
                    timeout=DEADLINE,
                )
                job.send_signal(signal.SIGKILL)
                assert job.wait(timeout=scaled(60)) == -signal.SIGKILL
            else:
                assert job.wait(timeout=scaled(DEADLINE)) == 137, log.read_text()[-3000:]
        finally:
            if job.poll() is None:  # a deadline passed: leave no job behind for the next test
                job.kill()
                job.wait(timeout=scaled(60))
        survived[how] += 1
    produced = producer.finish()

    final = [*args[:-4], "--trigger", "available-now"]
    assert run_in_process(final) == 0

    code, report = run_audit(paths, capsys, "--bootstrap-servers", kafka_utils.broker)
    assert code == 0, report["problems"]
    totals = report["totals"]
    assert totals["backed_up"] == len(produced)
    assert totals["output"] + totals["dlq"] + totals["filtered"] == len(produced)
    backed_up = [(r["partition"], r["offset"]) for r in table(spark, paths.backup).collect()]
    assert sorted(backed_up) == sorted(produced)
    assert sum(survived.values()) == KILLS
