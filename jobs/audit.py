"""Completeness audit: ``python -m jobs.audit``. Proves, per topic-partition and hour, that
every backed-up record is accounted for exactly once, and nothing is doubled.

exit codes: 0 clean · 1 a problem found (or the audit could not run) · 2 bad settings
"""

from __future__ import annotations

import argparse
import logging
import sys

from jobs.config.audit import build_parser
from jobs.config.values import parse_duration, parse_hour_range, parse_kafka_options, redact
from jobs.core.errors import ConfigError, JobError
from jobs.core.partitioning import is_known_zone

log = logging.getLogger("jobs.audit")


def main(argv: list[str] | None = None) -> int:
    from jobs.stream import configure_logging

    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        scope, broker = settings(args)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    from jobs.io.spark_session import build_spark_session
    from jobs.runs.audit import audit

    spark = build_spark_session("kafka-audit", args.master)
    try:
        report = audit(spark, scope, broker)
    except JobError as e:
        log.error("%s", e)
        return e.exit_code
    print(report.to_json() if args.json else report.to_text(), flush=True)
    return report.exit_code


def settings(args: argparse.Namespace):
    from jobs.runs.audit_queries import AuditScope

    if not is_known_zone(args.timezone):
        raise ConfigError("--timezone", f"unknown zone {args.timezone!r}")
    scope = AuditScope(
        backup_path=args.backup_path,
        dlq_path=args.dlq_path,
        ledger_path=args.ledger_path,
        output_path=args.output_path,
        hours=parse_hour_range(args.first_hour, args.last_hour),
        topics=tuple(t.strip() for t in (args.topics or "").split(",") if t.strip()),
        timezone=args.timezone,
    )
    broker = None
    if args.bootstrap_servers:
        broker = (
            args.bootstrap_servers,
            parse_kafka_options(args.kafka_option),
            parse_duration(args.broker_timeout, "--broker-timeout"),
        )
        log.info("comparing with the broker at %s, options %s", broker[0], redact(broker[1]))
        from jobs.io.kafka_client import list_topics

        list_topics(*broker)
    return scope, broker


if __name__ == "__main__":
    sys.exit(main())
