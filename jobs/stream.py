"""Entry point of the streaming job: ``python -m jobs.stream`` or ``spark-submit jobs/stream.py``.

Settings are checked before Spark starts (exit 2 naming the setting); the query then runs until
its trigger is done or ``--stop-at-offsets`` is reached (exit 0), or SIGTERM/SIGINT asks it to
stop after the running batch and its checkpoint commit (exit 3; handled from the first line of
``main``, so a signal during start-up stops it cleanly too); any other end is a failure (exit 1)
with a message a person can act on.
"""

from __future__ import annotations

import sys
import time

if __package__ in (None, ""):  # run as a file by spark-submit
    import importlib.util
    import os

    if importlib.util.find_spec("jobs") is None:  # no --py-files zip: use the checkout
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs import launch
from jobs.config.stream import JobConfig
from jobs.config.stream_cli import parse_config
from jobs.core import exit_codes
from jobs.core.batch_stats import RunTotals
from jobs.core.processor import LoadedProcessor
from jobs.core.stop_request import StopRequest
from jobs.io.checkpoint_lock import CheckpointLock

__all__ = ["main"]

log = launch.module_logger(__name__, __file__)


def main(argv: list[str] | None = None) -> int:
    return launch.run_command(lambda stop: run(argv, stop))


def run(argv: list[str] | None, stop: StopRequest) -> int:
    """Check, then Spark and the query until it ends, the summary; the exit code."""
    config = parse_config(argv)
    loaded = launch.check_before_start(config.processor, config.locations())
    launch.check_kafka(
        config.bootstrap_servers, config.kafka_options, config.broker_timeout, config.topics
    )
    launch.log_settings(config.describe())

    def lost(why: str) -> None:
        stop.ask("checkpoint lease lost")

    with CheckpointLock(config.checkpoint, config.name, config.checkpoint_lease, lost) as lock:
        lock.acquire()  # a local checkpoint: before Spark starts, so a second job fails at once
        if stop.reason:
            return stopped(stop, "before Spark started")
        totals, seconds = run_query(config, loaded, stop, lock)
    if totals is None:
        return stopped(stop, "before the query started")
    return finish(config, totals.summary(seconds), stop, lock.lost)


def run_query(
    config: JobConfig, loaded: LoadedProcessor, stop: StopRequest, lock: CheckpointLock
) -> tuple[RunTotals | None, float]:
    """The run's totals and seconds; no totals when a stop came before the query started."""
    # Spark, Arrow and Delta load only now, once the settings are known to be good.
    from jobs.io.jvm_signals import forward_jvm_signals
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.stream import StreamingJob

    began = time.monotonic()
    try:
        spark = build_spark_session(f"kafka-stream:{config.name}", config.master)
    except KeyboardInterrupt:  # SIGINT between PySpark's handler and ours
        stop.ask("SIGINT", by_signal=True)
        return None, 0.0
    launch.spark_started(spark, stop, config.locations())
    forward_jvm_signals(spark, stop)
    if stop.reason:
        return None, 0.0
    lock.acquire(spark)  # a checkpoint on HDFS or an object store
    totals = StreamingJob(spark, config, loaded, stop).run()
    return totals, time.monotonic() - began


def finish(config: JobConfig, summary: dict, stop: StopRequest, lease_lost: str | None) -> int:
    from jobs.runs.stream import summary_text

    launch.print_summary(summary_text(summary, config), summary)
    if lease_lost:
        log.error("%s: the running batch finished; the checkpoint may have another job", lease_lost)
        return exit_codes.FAILED
    return stopped(stop, "after the running batch") if stop.by_signal else exit_codes.FINISHED


def stopped(stop: StopRequest, when: str) -> int:
    log.info(
        "stopped by %s %s: the checkpoint is clean, run again to go on (exit code %d)",
        stop.reason,
        when,
        exit_codes.STOPPED,
    )
    return exit_codes.STOPPED


if __name__ == "__main__":
    launch.exit_with(main())
