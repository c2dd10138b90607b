"""Entry point of the streaming job: ``python -m jobs.stream`` or ``spark-submit jobs/stream.py``.

Settings are checked before Spark starts (exit 2 naming the setting); the query then runs until
its trigger is done, ``--stop-at-offsets`` is reached, or SIGTERM/SIGINT asks it to stop after
the running batch (exit 0); any other end is a failure (exit 1) with a message a person can act on.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time

if __package__ in (None, ""):  # run as a file by spark-submit
    import importlib.util
    import os

    if importlib.util.find_spec("jobs") is None:  # no --py-files zip: use the checkout
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs.config.stream import JobConfig
from jobs.config.stream_cli import parse_config
from jobs.core.errors import ConfigError, JobError
from jobs.core.processor import LoadedProcessor, load_processor
from jobs.io.paths import check_writable
from jobs.io.preflight import check_reachable, check_topics

log = logging.getLogger("jobs.stream")


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    try:
        config = parse_config(argv)
        loaded = check_before_start(config)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    log.info("settings %s", json.dumps(config.describe(), default=str))
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.stream import StreamingJob, stop_signals, summary_text

    began = time.monotonic()
    spark = build_spark_session(f"kafka-stream:{config.name}", config.master)
    job = StreamingJob(spark, config, loaded)
    with stop_signals(job.request_stop):
        try:
            totals = job.run()
        except JobError as e:
            log.error("%s", e)
            return e.exit_code
        summary = totals.summary(time.monotonic() - began)
        print(summary_text(summary, config), flush=True)
        print(json.dumps(summary), flush=True)
    return 0


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
    for ignored in (signal.SIGTERM, signal.SIGINT):  # only the interpreter's shutdown is left
        signal.signal(ignored, signal.SIG_IGN)
    sys.exit(exit_code)
