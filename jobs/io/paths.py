"""Checks on the locations the job writes to, before Spark starts."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from jobs.core.errors import ConfigError

__all__ = ["check_writable", "local_path"]


def local_path(location: str) -> Path | None:
    """The local directory behind a path or ``file:`` URI; None for other filesystems."""
    parsed = urlparse(location)
    if parsed.scheme in ("", "file"):
        return Path(os.path.abspath(parsed.path if parsed.scheme else location))
    if len(parsed.scheme) == 1:
        return Path(os.path.abspath(location))
    return None


def check_writable(setting: str, location: str) -> None:
    """Fail now, naming the setting, if a local location cannot be created or written.

    Remote filesystems (s3a://, abfss://, hdfs://) are checked by Spark when it writes.
    """
    path = local_path(location)
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise ConfigError(setting, f"{location} exists and is not a directory")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(setting, f"{location} is not writable ({existing} does not allow it)")
