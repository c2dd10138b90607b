"""Batch replays through the streaming job's own pipeline: ``python -m jobs.replay``.

A replay is planned first (what it covers, how many records, in which chunks), printed, and
then run chunk by chunk through ``MicroBatchPipeline`` with writes keyed by source record, so a
second identical run adds nothing. ``--dry-run`` stops after the plan.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from jobs.config.replay import ReplayConfig, parse_replay_config
from jobs.core.errors import ConfigError, JobError

log = logging.getLogger("jobs.replay")


def main(argv: list[str] | None = None) -> int:
    from jobs.stream import configure_logging

    configure_logging()
    try:
        config = parse_replay_config(argv)
        loaded = check_before_start(config)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    log.info("settings %s", json.dumps(config.describe(), default=str))
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.replay import run

    began = time.monotonic()
    spark = build_spark_session(f"kafka-replay:{config.name}", config.master)
    try:
        return run(spark, config, loaded, began)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code


def check_before_start(config: ReplayConfig):
    from jobs.core.processor import load_processor
    from jobs.io.kafka_client import list_topics
    from jobs.io.paths import check_writable
    from jobs.io.preflight import check_reachable
    from jobs.stream import check_python_packages

    check_python_packages()
    loaded = load_processor(config.processor)
    if not config.dry_run:
        for setting, location in (
            ("--backup-path", config.backup_path),
            ("--dlq-path", config.dlq_path),
            ("--output-path", config.output_path),
            ("--ledger-path", config.ledger_path),
        ):
            if location:
                check_writable(setting, location)
    if config.bootstrap_servers:
        check_reachable(config.bootstrap_servers, config.broker_timeout)
        existing = list_topics(
            config.bootstrap_servers, config.kafka_options, config.broker_timeout
        )
        missing = sorted(set(config.topics) - existing)
        if missing:
            raise ConfigError("--topics", f"{missing} do not exist on {config.bootstrap_servers}")
    return loaded


if __name__ == "__main__":
    sys.exit(main())
