"""Completeness audit: ``python -m jobs.audit``. Proves, per topic-partition and hour, that
every backed-up record is accounted for exactly once, and nothing is doubled.

exit codes: 0 clean · 1 a problem found (or the audit could not run) · 2 bad settings ·
3 stopped by SIGTERM/SIGINT
"""

from __future__ import annotations

from jobs import launch
from jobs.config.audit import parse_audit_config
from jobs.core.stop_request import StopRequest

__all__ = ["main"]


ON_SIGNAL = "the audit changes nothing: run it again"


def main(argv: list[str] | None = None) -> int:
    return launch.run_command(lambda stop: run(argv, stop), on_signal=ON_SIGNAL)


def run(argv: list[str] | None, stop: StopRequest) -> int:
    config = parse_audit_config(argv)
    if config.bootstrap_servers:
        launch.check_kafka(
            config.bootstrap_servers, config.kafka_options, config.broker_timeout, ()
        )
    launch.log_settings(config.describe())
    # Spark, Arrow and Delta load only now, once the settings are known to be good.
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.audit import audit

    spark = build_spark_session("kafka-audit", config.master)
    launch.spark_started(spark, stop, config.locations())
    report = audit(spark, config)
    print(report.to_json() if config.json else report.to_text(), flush=True)
    return report.exit_code


if __name__ == "__main__":
    launch.exit_with(main())
