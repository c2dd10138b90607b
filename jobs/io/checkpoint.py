"""Refuse a checkpoint that belongs to another job, instead of silently mixing two.

Spark resumes from whatever checkpoint it is given. A checkpoint of another job name would
change the app id the tables' commits are tagged with (a replayed batch would then be written
twice), and one of another topic set would resume some partitions and start others from
scratch. So the job keeps a small marker beside Spark's files, and compares the marker and
Spark's last offsets with its settings before it starts.
"""

from __future__ import annotations

import json
import uuid

from pyspark.sql import SparkSession

from jobs.core.errors import ConfigError, InfrastructureError

__all__ = [
    "MARKER",
    "HadoopFiles",
    "check_checkpoint",
    "checkpoint_has_offsets",
    "last_planned_ms",
    "read_marker",
]

MARKER = "kafka-stream-job.json"


class HadoopFiles:
    """Small text files on any Hadoop filesystem (local, s3a, abfss, hdfs …)."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()
        self.root = root.rstrip("/")

    def _path(self, name: str):
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.root}/{name}")

    def _fs(self, path):
        return path.getFileSystem(self._conf)

    def exists(self, name: str) -> bool:
        path = self._path(name)
        return bool(self._fs(path).exists(path))

    def names(self, folder: str) -> list[str]:
        path = self._path(folder)
        if not self._fs(path).exists(path):
            return []
        return [status.getPath().getName() for status in self._fs(path).listStatus(path)]

    def read(self, name: str) -> str:
        path = self._path(name)
        stream = self._fs(path).open(path)
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data).decode("utf-8")

    def write(self, name: str, text: str) -> None:
        """All or nothing: a temporary file renamed to ``name`` (atomic on local filesystems
        and HDFS; an object store shows an object only once it is whole)."""
        path, temporary = self._path(name), self._path(f".{name}.{uuid.uuid4().hex}.tmp")
        fs = self._fs(path)
        stream = fs.create(temporary, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        if not fs.rename(temporary, path):
            fs.delete(temporary, False)
            raise InfrastructureError(f"could not write {path.toString()}")


def check_checkpoint(
    spark: SparkSession, checkpoint: str, name: str, topics: tuple[str, ...]
) -> None:
    """Fail (exit 2, naming --checkpoint) when the checkpoint is another job's; mark a new one.

    ``name`` is the job's ``--name``, ``topics`` its ``--topics`` (empty with a pattern)."""
    files = HadoopFiles(spark, checkpoint)
    if files.exists(MARKER):
        _check_marker(read_marker(files, name), checkpoint, name)
    held = last_offsets_topics(files)
    if held is not None and topics and held != set(topics):
        raise ConfigError(
            "--checkpoint",
            f"{checkpoint} holds the offsets of topics {sorted(held)}, but this job "
            f"reads {sorted(topics)}. Give a new --checkpoint for a new topic set (with "
            "--resume-from-ledger to start where the ledger says), or the topics it was made for",
        )
    if not files.exists(MARKER):
        files.write(MARKER, json.dumps({"name": name, "topics": sorted(topics)}))


def read_marker(files: HadoopFiles, name: str) -> dict:
    """The marker's JSON object; an unreadable one is a one-line error naming the file."""
    try:
        marker = json.loads(files.read(MARKER))
        if not isinstance(marker, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        raise ConfigError(
            "--checkpoint",
            f"{files.root}/{MARKER} is unreadable ({str(e).splitlines()[0]}). If this "
            f"checkpoint is job {name!r}'s, delete that file: the next start writes it "
            "again (Spark's offsets are elsewhere)",
        ) from None
    return marker


def _check_marker(marker: dict, checkpoint: str, name: str) -> None:
    if marker.get("name") != name:
        raise ConfigError(
            "--checkpoint",
            f"{checkpoint} belongs to job {marker.get('name')!r}, not {name!r} "
            "(--name): resuming it under another name would write a replayed batch twice. "
            "Use that --name, or a new --checkpoint",
        )


def newest_offsets(files: HadoopFiles) -> list[str] | None:
    """The lines of Spark's newest offset-log entry; None when the log is empty."""
    batches = [int(n) for n in files.names("offsets") if n.isdecimal()]
    if not batches:
        return None
    return files.read(f"offsets/{max(batches)}").splitlines()


def last_offsets_topics(files: HadoopFiles) -> set[str] | None:
    """Topics in Spark's newest offset-log entry; None when the log is empty."""
    lines = newest_offsets(files)
    if lines is None:
        return None
    sources = [json.loads(line) for line in lines[2:] if line.startswith("{")]
    return {topic for source in sources for topic in source}


def checkpoint_has_offsets(spark: SparkSession, checkpoint: str) -> bool:
    """True when Spark would resume from the checkpoint (its offset log has an entry)."""
    return any(name.isdecimal() for name in HadoopFiles(spark, checkpoint).names("offsets"))


def last_planned_ms(spark: SparkSession, checkpoint: str) -> int | None:
    """When Spark planned the newest batch of the offset log (its ``batchTimestampMs``), in ms
    since the epoch; None when the log is empty.

    That batch is the only one a restart may replay, and none of its table commits can be
    older than this instant."""
    lines = newest_offsets(HadoopFiles(spark, checkpoint))
    if not lines or len(lines) < 2 or not lines[1].startswith("{"):
        return None
    planned = json.loads(lines[1]).get("batchTimestampMs")
    return int(planned) if planned is not None else None
