"""The audit's Spark queries: every record's fate across backup, output, DLQ and ledger.

A record is identified by (topic, partition, offset). It must be in the backup once, and then
be accounted for exactly once: by output rows (one per ``source_index``), by one unresolved DLQ
row, by a resolved DLQ row (a replay processed it later), or by the ledger's
``filtered_offsets`` (the processor dropped it: no row anywhere else).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from jobs.config.audit import AuditConfig
from jobs.core.columns import RECORD_KEY
from jobs.io.tables import in_hours, of_topics, read_table
from jobs.pipeline.stamp import partition_columns, session_timezone

__all__ = ["AuditQueries"]

KEY = list(RECORD_KEY)  # DataFrame methods take lists
TP_HOUR = ["topic", "partition", "date", "hour"]
SAMPLE = 5


class AuditQueries:
    def __init__(self, spark: SparkSession, config: AuditConfig) -> None:
        self.spark = spark
        self.config = config
        where = in_hours(config.hours)
        self.backup = self._table(config.backup_path, "--backup-path", where).select(
            *KEY, "date", "hour"
        )
        self.dlq = self._table(config.dlq_path, "--dlq-path", where).select(
            *KEY, "date", "hour", "resolved_at"
        )
        self.ledger = self._table(config.ledger_path, "--ledger-path", where)
        self.output = None
        if config.output_path:
            self.output = (
                read_table(spark, config.output_path, "--output-path")
                .where(where)
                .select(
                    F.col("source_topic").alias("topic"),
                    F.col("source_partition").alias("partition"),
                    F.col("source_offset").alias("offset"),
                    "source_index",
                    "date",
                    "hour",
                )
                .where(of_topics(config.topics))
            )

    def _table(self, path: str, setting: str, where: Column) -> DataFrame:
        return read_table(self.spark, path, setting).where(where & of_topics(self.config.topics))

    def per_hour(self) -> list[dict]:
        """One row per topic-partition and hour with counts and problem counts."""
        facts = self.record_facts()
        rows = (
            facts.groupBy(*TP_HOUR)
            .agg(
                F.min(F.when(F.col("backed_up") > 0, F.col("offset"))).alias("first_offset"),
                F.max(F.when(F.col("backed_up") > 0, F.col("offset"))).alias("last_offset"),
                _count(F.col("backed_up") > 0).alias("backed_up"),
                _count(F.col("output") > 0).alias("output"),
                _count(F.col("dlq") > 0).alias("dlq"),
                _count(F.col("resolved") > 0).alias("resolved"),
                _count(F.col("filtered")).alias("filtered"),
                *[_problem(name, condition) for name, condition in self.problems().items()],
            )
            .orderBy(*TP_HOUR)
            .collect()
        )
        return [row.asDict(recursive=True) for row in rows]

    def problems(self) -> dict[str, Column]:
        backed_up, out, dlq = F.col("backed_up"), F.col("output"), F.col("dlq")
        accounted = (out > 0) | (dlq > 0) | (F.col("resolved") > 0) | F.col("filtered")
        checks = {
            "doubled_in_backup": backed_up > 1,
            "doubled_in_output": out > F.col("output_indexes"),
            "doubled_in_dlq": (dlq + F.col("resolved")) > 1,
            "in_output_and_dlq": (out > 0) & (dlq > 0),
            "not_backed_up": (backed_up == 0) & accounted,
        }
        if self.output is not None:
            checks["unaccounted"] = (backed_up > 0) & ~accounted
        return checks

    def record_facts(self) -> DataFrame:
        """Per record: rows in each table, whether the ledger says it was filtered."""
        none = F.lit(None).cast("int")
        parts = [
            self.backup.select(*KEY, "date", "hour", F.lit("b").alias("kind"), none.alias("i")),
            self.dlq.select(
                *KEY,
                "date",
                "hour",
                F.when(F.col("resolved_at").isNull(), "d").otherwise("r").alias("kind"),
                none.alias("i"),
            ),
            self.filtered().select(*KEY, "date", "hour", F.lit("f").alias("kind"), none.alias("i")),
        ]
        if self.output is not None:
            parts.append(
                self.output.select(
                    *KEY, "date", "hour", F.lit("o").alias("kind"), F.col("source_index").alias("i")
                )
            )
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part)
        kind = F.col("kind")
        return union.groupBy(*KEY).agg(
            _count(kind == "b").alias("backed_up"),
            _count(kind == "o").alias("output"),
            F.count_distinct(F.when(kind == "o", F.col("i"))).alias("output_indexes"),
            _count(kind == "d").alias("dlq"),
            _count(kind == "r").alias("resolved"),
            (_count(kind == "f") > 0).alias("filtered"),
            F.coalesce(F.max(F.when(kind == "b", F.col("date"))), F.max("date")).alias("date"),
            F.coalesce(F.max(F.when(kind == "b", F.col("hour"))), F.max("hour")).alias("hour"),
        )

    def filtered(self) -> DataFrame:
        return self.ledger.select(
            "topic", "partition", "date", "hour", F.explode("filtered_offsets").alias("offset")
        ).distinct()

    def ledger_shortfalls(self) -> list[dict]:
        """Ledger rows that say more records were read and backed up than the backup holds
        in their offset range and hour: backup rows were lost after the fact."""
        ledger = self.ledger.where(F.col("backed_up") > 0).alias("l")
        backup = self.backup.dropDuplicates(KEY).alias("b")
        joined = ledger.join(
            backup,
            [F.col(f"l.{c}") == F.col(f"b.{c}") for c in TP_HOUR]
            + [F.col("b.offset").between(F.col("l.first_offset"), F.col("l.last_offset"))],
            "left",
        )
        counted = joined.groupBy(
            "l.run_id",
            "l.batch_id",
            *[F.col(f"l.{c}") for c in TP_HOUR],
            "l.first_offset",
            "l.last_offset",
            "l.backed_up",
        ).agg(F.count("b.offset").alias("in_backup"))
        short = counted.where(F.col("in_backup") < F.col("backed_up")).orderBy(*TP_HOUR)
        return [row.asDict() for row in short.limit(100).collect()]

    def ledger_doubles(self) -> list[dict]:
        """A batch recorded twice by the same run: its counts would be added twice."""
        keys = ["run_id", "batch_id", *TP_HOUR]
        doubled = self.ledger.groupBy(*keys).count().where(F.col("count") > 1)
        return [row.asDict() for row in doubled.limit(100).collect()]

    def gaps(self) -> list[dict]:
        """Offsets missing between consecutive backed-up records of a partition."""
        order = Window.partitionBy("topic", "partition").orderBy("offset")
        records = self.backup.select(*KEY, "date", "hour").dropDuplicates(KEY)
        holes = records.select("*", F.lag("offset").over(order).alias("previous")).where(
            F.col("offset") - F.col("previous") > 1
        )
        return [
            {
                "topic": r["topic"],
                "partition": r["partition"],
                "date": r["date"],
                "hour": r["hour"],
                "start": r["previous"] + 1,
                "end": r["offset"],
            }
            for r in holes.orderBy(*KEY).limit(10_000).collect()
        ]

    def coverage(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Per topic-partition, the first and one-past-last offsets the job's runs read."""
        rows = self.ledger.groupBy("topic", "partition").agg(
            F.min("first_offset").alias("start"), F.max("last_offset").alias("last")
        )
        return {(r["topic"], r["partition"]): (r["start"], r["last"] + 1) for r in rows.collect()}

    def missing_from_backup(self, broker_rows: DataFrame) -> list[dict]:
        """Records the broker holds, in the audited hours, that the backup does not."""
        stamped = broker_rows.select(
            *KEY,
            *[
                c.alias(n)
                for n, c in partition_columns(
                    F.col("timestamp"), self.config.timezone, session_timezone(self.spark)
                ).items()
            ],
        ).where(in_hours(self.config.hours))
        missing = stamped.join(self.backup.select(*KEY), KEY, "left_anti")
        rows = missing.groupBy(*TP_HOUR).agg(
            F.count("*").alias("count"),
            F.slice(F.sort_array(F.collect_list("offset")), 1, SAMPLE).alias("offsets"),
        )
        return [row.asDict() for row in rows.orderBy(*TP_HOUR).collect()]


def _count(condition: Column) -> Column:
    return F.count(F.when(condition, True))


def _problem(name: str, condition: Column) -> Column:
    return F.struct(
        _count(condition).alias("count"),
        F.slice(F.sort_array(F.collect_list(F.when(condition, F.col("offset")))), 1, SAMPLE).alias(
            "offsets"
        ),
    ).alias(name)
