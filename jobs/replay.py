"""Batch replays through the streaming job's own pipeline: ``python -m jobs.replay``.

A replay is planned first (what it covers, how many records, in which chunks), printed, and
then run chunk by chunk through ``MicroBatchPipeline`` with writes keyed by source record, so a
second identical run adds nothing. ``--dry-run`` stops after the plan.
"""

from __future__ import annotations

import time

from jobs import launch
from jobs.config.replay import parse_replay_config
from jobs.core.stop_request import StopRequest

__all__ = ["main"]


ON_SIGNAL = "the replay's writes are keyed by record: run it again to finish it"


def main(argv: list[str] | None = None) -> int:
    return launch.run_command(lambda stop: run(argv, stop), on_signal=ON_SIGNAL)


def run(argv: list[str] | None, stop: StopRequest) -> int:
    config = parse_replay_config(argv)
    loaded = launch.check_before_start(
        config.processor, {} if config.dry_run else config.locations()
    )
    if config.bootstrap_servers:
        launch.check_kafka(
            config.bootstrap_servers, config.kafka_options, config.broker_timeout, config.topics
        )
    launch.log_settings(config.describe())
    # Spark, Arrow and Delta load only now, once the settings are known to be good.
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.replay import replay, summary_text

    began = time.monotonic()
    spark = build_spark_session(f"kafka-replay:{config.name}", config.master)
    launch.spark_started(spark, stop, config.locations())
    summary = replay(spark, config, loaded, began)
    if summary is not None:
        launch.print_summary(summary_text(summary), summary)
    return 0


if __name__ == "__main__":
    launch.exit_with(main())
