"""Table maintenance: ``python -m jobs.maintain`` (see ``--help``).

Compacts the closed hours of the backup, DLQ and output tables (and the ledger), drops the
hours older than each table's retention, and vacuums, while the stream goes on writing.
"""

from __future__ import annotations

import json
import logging
import sys

from jobs.core import exit_codes
from jobs.errors import JobError
from jobs.maintain_config import parse_settings

log = logging.getLogger("jobs.maintain")


def main(argv: list[str] | None = None) -> int:
    from jobs.stream import configure_logging

    configure_logging()
    try:
        config = parse_settings(argv)
        log.info("settings %s", json.dumps(config.describe()))
        from jobs.core.maintenance_report import summary_json, summary_text
        from jobs.runs.maintain import maintain
        from jobs.spark_session import build_spark_session

        spark = build_spark_session("kafka-maintain", config.master)
        results = maintain(spark, config)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    report = summary_json if config.json else summary_text
    print(report(results, config.dry_run), flush=True)
    return exit_codes.FINISHED


if __name__ == "__main__":
    sys.exit(main())
