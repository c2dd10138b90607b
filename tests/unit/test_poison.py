"""``jobs.pipeline.poison.find_poison``: bisection down to the records that fail alone."""

from __future__ import annotations

from jobs.io.spark_errors import is_worker_death
from jobs.pipeline.poison import find_poison

KEYS = [("t", p, o) for p in (0, 1) for o in range(50)]


def runner(poison: set, calls: list):
    def kills_worker(part):
        calls.append(len(part))
        return bool(poison & set(part))

    return kills_worker


def test_finds_every_poison_record_and_nothing_else():
    poison = {("t", 0, 7), ("t", 1, 49), ("t", 1, 0)}
    assert find_poison(KEYS, runner(poison, [])) == sorted(poison)


def test_one_poison_record_takes_about_two_runs_per_halving():
    calls: list[int] = []
    assert find_poison(KEYS, runner({("t", 1, 13)}, calls)) == [("t", 1, 13)]
    assert len(calls) <= 2 * 7 + 1


def test_nothing_found_when_no_record_fails_alone():
    assert find_poison(KEYS, lambda part: False) == []


def test_worker_death_is_told_from_other_failures():
    assert is_worker_death(RuntimeError("Python worker exited unexpectedly (crashed)"))
    assert not is_worker_death(RuntimeError("Table not found"))
