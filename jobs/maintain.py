"""Table maintenance: ``python -m jobs.maintain`` (see ``--help``).

Compacts the closed hours of the backup, DLQ and output tables (and the ledger), drops the
hours older than each table's retention, and vacuums, while the stream goes on writing.
"""

from __future__ import annotations

from jobs import launch
from jobs.config.maintain import parse_settings
from jobs.core import exit_codes
from jobs.core.maintenance_report import summary_json, summary_text
from jobs.core.stop_request import StopRequest

__all__ = ["main"]

ON_SIGNAL = "each compaction and deletion commits whole: run it again to finish"


def main(argv: list[str] | None = None) -> int:
    return launch.run_command(lambda stop: run(argv, stop), on_signal=ON_SIGNAL)


def run(argv: list[str] | None, stop: StopRequest) -> int:
    config = parse_settings(argv)
    launch.log_settings(config.describe())
    # Spark and Delta load only now, once the settings are known to be good.
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.maintain import maintain

    spark = build_spark_session("kafka-maintain", config.master)
    launch.spark_started(spark, stop, config.locations())
    results = maintain(spark, config)
    report = summary_json if config.json else summary_text
    print(report(results, config.dry_run), flush=True)
    return exit_codes.FINISHED


if __name__ == "__main__":
    launch.exit_with(main())
