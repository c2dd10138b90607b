"""The job's exceptions: one root, a subclass per way of failing, each with its exit code."""

from __future__ import annotations

from jobs.core import exit_codes

__all__ = ["ConfigError", "InfrastructureError", "JobError"]


class JobError(Exception):
    """Root of every error the job raises on purpose."""

    exit_code = exit_codes.FAILED


class ConfigError(JobError):
    """A setting is missing or wrong; raised before Spark starts. Names the setting."""

    exit_code = exit_codes.BAD_SETTINGS

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


class InfrastructureError(JobError):
    """Kafka, storage or Spark failed in a way no record is to blame for."""
