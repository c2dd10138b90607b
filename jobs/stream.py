"""Entry point of the streaming job: ``python -m jobs.stream`` or ``spark-submit jobs/stream.py``.

Settings are checked before Spark starts (exit 2 naming the setting); the query then runs until
its trigger is done or ``--stop-at-offsets`` is reached (exit 0), or SIGTERM/SIGINT asks it to
stop after the running batch and its checkpoint commit (exit 3; handled from the first line of
``main``, so a signal during start-up stops it cleanly too); any other end is a failure (exit 1)
with a message a person can act on.
"""

from __future__ import annotations

import json
import logging
import sys
import time

if __package__ in (None, ""):  # run as a file by spark-submit
    import importlib.util
    import os

    if importlib.util.find_spec("jobs") is None:  # no --py-files zip: use the checkout
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs.cli import parse_config
from jobs.config import JobConfig
from jobs.core import exit_codes
from jobs.core.stop_request import StopRequest
from jobs.errors import ConfigError, JobError
from jobs.io.checkpoint_lock import CheckpointLock
from jobs.paths import check_writable
from jobs.preflight import check_reachable, check_topics
from jobs.processor import LoadedProcessor, load_processor
from jobs.runs.stop_signals import handle_stop_signals, ignore_stop_signals, stop_signals

log = logging.getLogger("jobs.stream")


def main(argv: list[str] | None = None) -> int:
    with stop_signals() as stop:
        configure_logging()
        try:
            config = parse_config(argv)
            loaded = check_before_start(config)
            return run(config, loaded, stop)
        except JobError as e:
            log.error("%s", e)
            return e.exit_code


def run(config: JobConfig, loaded: LoadedProcessor, stop: StopRequest) -> int:
    """Spark, the query until it ends, the summary; the exit code."""
    log.info("settings %s", json.dumps(config.describe(), default=str))

    def lost(why: str) -> None:
        stop.ask("checkpoint lease lost")

    with CheckpointLock(config.checkpoint, config.name, config.checkpoint_lease, lost) as lock:
        lock.acquire()  # a local checkpoint: before Spark starts, so a second job fails at once
        if stop.reason:
            return stopped(stop, "before Spark started")
        totals, seconds = run_query(config, loaded, stop, lock)
    if totals is None:
        return stopped(stop, "before the query started")
    summary = totals.summary(seconds)
    print(summary_text(summary, config), flush=True)
    print(json.dumps(summary), flush=True)
    if lock.lost:
        log.error("%s: the running batch finished; the checkpoint may have another job", lock.lost)
        return exit_codes.FAILED
    return stopped(stop, "after the running batch") if stop.by_signal else exit_codes.FINISHED


def run_query(config: JobConfig, loaded: LoadedProcessor, stop: StopRequest, lock):
    """The run's totals and seconds; no totals when a stop came before the query started."""
    from jobs.io.jvm_signals import forward_jvm_signals
    from jobs.query import StreamingJob
    from jobs.spark_session import build_spark_session

    began = time.monotonic()
    try:
        spark = build_spark_session(f"kafka-stream:{config.name}", config.master)
    except KeyboardInterrupt:  # SIGINT between PySpark's handler and ours
        stop.ask("SIGINT", by_signal=True)
        return None, 0.0
    handle_stop_signals(stop)
    forward_jvm_signals(spark, stop)
    if stop.reason:
        return None, 0.0
    lock.acquire(spark)  # a checkpoint on HDFS or an object store
    totals = StreamingJob(spark, config, loaded, stop).run()
    return totals, time.monotonic() - began


def stopped(stop: StopRequest, when: str) -> int:
    log.info(
        "stopped by %s %s: the checkpoint is clean, run again to go on (exit code %d)",
        stop.reason,
        when,
        exit_codes.STOPPED,
    )
    return exit_codes.STOPPED


def check_before_start(config: JobConfig) -> LoadedProcessor:
    """Everything that can be checked without Spark, so bad settings fail in seconds."""
    check_python_packages()
    loaded = load_processor(config.processor)
    for setting, location in (
        ("--checkpoint", config.checkpoint),
        ("--backup-path", config.backup_path),
        ("--dlq-path", config.dlq_path),
        ("--output-path", config.output_path),
        ("--ledger-path", config.ledger_path),
    ):
        if location:
            check_writable(setting, location)
    check_reachable(config.bootstrap_servers, config.broker_timeout)
    check_topics(config)
    return loaded


def check_python_packages() -> None:
    """Spark runs the processor through Arrow: without pyarrow and pandas every batch fails."""
    import importlib.util

    missing = [name for name in ("pyarrow", "pandas") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            "python", f"{', '.join(missing)} not installed; pip install pyarrow 'pandas<3'"
        )


def summary_text(summary: dict, config: JobConfig) -> str:
    lines = [
        f"{config.name}: {summary['records_read']} records read in {summary['batches']} batches, "
        f"{summary['output_rows']} output rows, {summary['filtered']} filtered, "
        f"{summary['sent_to_dlq']} sent to the DLQ; {summary['seconds']}s in all, "
        f"{summary['batch_seconds']}s in batches ({summary['records_per_second']} records/s)",
        f"  backup: {config.backup_path}",
        f"  dlq:    {config.dlq_path}",
    ]
    if config.output_path or config.output_topic:
        lines.append(f"  output: {config.output_path or 'topic ' + str(config.output_topic)}")
    return "\n".join(lines)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("jobs").setLevel(logging.INFO)
    for noisy in ("py4j", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":
    exit_code = main()
    ignore_stop_signals()
    sys.exit(exit_code)
