"""Entry point of the streaming job: ``python -m jobs.stream`` or ``spark-submit jobs/stream.py``.

Settings are checked before Spark starts (exit 2 naming the setting); the query then runs until
its trigger is done, ``--stop-at-offsets`` is reached, or SIGTERM/SIGINT asks it to stop after
the running batch (exit 0); any other end is a failure (exit 1) with a message a person can act on.
"""

from __future__ import annotations

import signal
import sys
import time

if __package__ in (None, ""):  # run as a file by spark-submit
    import importlib.util
    import os

    if importlib.util.find_spec("jobs") is None:  # no --py-files zip: use the checkout
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs import launch
from jobs.config.stream_cli import parse_config

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    return launch.run_command(lambda: run(argv))


def run(argv: list[str] | None) -> int:
    config = parse_config(argv)
    loaded = launch.check_before_start(config.processor, config.locations())
    launch.check_kafka(
        config.bootstrap_servers, config.kafka_options, config.broker_timeout, config.topics
    )
    launch.log_settings(config.describe())
    # Spark, Arrow and Delta load only now, once the settings are known to be good.
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.stream import StreamingJob, stop_signals, summary_text

    began = time.monotonic()
    spark = build_spark_session(f"kafka-stream:{config.name}", config.master)
    job = StreamingJob(spark, config, loaded)
    with stop_signals(job.request_stop):
        totals = job.run()
        summary = totals.summary(time.monotonic() - began)
        launch.print_summary(summary_text(summary, config), summary)
    return 0


if __name__ == "__main__":
    exit_code = main()
    for ignored in (signal.SIGTERM, signal.SIGINT):  # only the interpreter's shutdown is left
        signal.signal(ignored, signal.SIG_IGN)
    sys.exit(exit_code)
