"""Files per hour before and after ``jobs.maintain`` for an hour of micro-batches.

An hour of a ``processing-time=10s`` trigger is 360 batches; each appends one file per Spark
partition (one per Kafka partition: 3 for a 3-partition topic) to the hour partition of the
backup table: 1 080 small files. They are written here with the stream's own append
(``jobs.sinks.append_delta``, txnAppId/txnVersion) in ``BATCHES`` commits of
``1080 / BATCHES`` files each (a busy 2-core machine takes hours for 360 commits; compaction
works on the files, whatever commits added them). Then maintenance runs as an operator would,
and the summary gives files and bytes before and after.

    .venv/bin/python -m benchmarks.maintenance [BATCHES] [FILES_PER_HOUR] [RECORDS_PER_FILE]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from pyspark.sql import functions as F

from jobs.config.maintain import MaintainConfig, TableSpec
from jobs.core.maintenance_report import summary_text
from jobs.core.partitioning import partition_values
from jobs.io.sinks import append_delta
from jobs.io.spark_session import build_spark_session
from jobs.runs.maintain import maintain


def main(batches: int = 12, files_per_hour: int = 1080, per_file: int = 100) -> None:
    spark = build_spark_session("bench-maintenance", "local[2]")
    path = tempfile.mkdtemp(prefix="bench-maintenance-") + "/backup"
    date, hour = partition_values(datetime.now(UTC) - timedelta(hours=2))
    files = files_per_hour // batches
    began = time.monotonic()
    for batch in range(batches):
        first = batch * files * per_file
        rows = spark.range(first, first + files * per_file, numPartitions=files).select(
            F.col("id").alias("offset"),
            F.expr("unhex(sha2(cast(id as string), 256))").alias("value"),
            F.lit(date).alias("date"),
            F.lit(hour).alias("hour"),
        )
        append_delta(rows, path, app_id="bench", version=batch)
        print(f"{batch + 1} commits appended in {time.monotonic() - began:.0f}s", flush=True)
    config = MaintainConfig((TableSpec("backup", path),))
    results = maintain(spark, config)
    print(summary_text(results, dry_run=False), flush=True)


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:4]])
