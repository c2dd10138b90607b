"""A location on a filesystem Spark has no jar for: one line naming the flag and the fix."""

from __future__ import annotations

import pytest

from jobs.core import exit_codes
from jobs.core.errors import ConfigError
from jobs.io.filesystems import check_filesystems
from tests.integration.job_runs import JobPaths, replaced, start_subprocess


def test_a_scheme_without_its_jar_is_named_with_the_artifact_to_add(spark, tmp_path):
    check_filesystems(spark, {"--dlq-path": str(tmp_path), "--output-path": None})
    with pytest.raises(ConfigError) as raised:
        check_filesystems(spark, {"--dlq-path": str(tmp_path), "--backup-path": "s3a://b/x"})
    text = str(raised.value)
    assert text.startswith("--backup-path: s3a://b/x: Spark has no filesystem for s3a://")
    assert "--packages org.apache.hadoop:hadoop-aws:3." in text and "\n" not in text


@pytest.mark.slow
def test_the_stream_with_an_s3a_backup_and_no_hadoop_aws_exits_2_in_one_line(
    kafka_utils, topic, tmp_path
):
    paths = JobPaths(tmp_path)
    args = paths.args(kafka_utils.broker, topic(), "jobs.processors.builtin:passthrough")
    log = tmp_path / "job.log"

    job = start_subprocess(replaced(args, "--backup-path", "s3a://bucket/backup"), log)

    assert job.wait(timeout=600) == exit_codes.BAD_SETTINGS, log.read_text()[-3000:]
    text = log.read_text()
    errors = [line for line in text.splitlines() if "ERROR" in line or "Exception" in line]
    assert len(errors) == 1 and "--backup-path: s3a://bucket/backup" in errors[0], text[-3000:]
    assert "hadoop-aws" in errors[0] and "\tat " not in text
