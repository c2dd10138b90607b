"""``jobs.io.paths.check_writable``: local locations are checked before Spark starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobs.core.errors import ConfigError
from jobs.io.paths import check_writable, local_path

ROOT = os.geteuid() == 0


def test_fresh_nested_directory_is_fine(tmp_path):
    target = tmp_path / "a" / "b" / "c"
    check_writable("--checkpoint", str(target))
    assert not target.exists()  # only checked, never created


def test_existing_directory_is_fine(tmp_path):
    check_writable("--backup-path", str(tmp_path))


def test_file_uri_is_checked_like_a_path(tmp_path):
    check_writable("--dlq-path", f"file://{tmp_path}/dlq")
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(ConfigError) as caught:
        check_writable("--dlq-path", f"file://{tmp_path}/blocker")
    assert caught.value.setting == "--dlq-path"


def test_a_file_at_the_location_fails(tmp_path):
    (tmp_path / "table").write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        check_writable("--backup-path", str(tmp_path / "table"))
    assert caught.value.setting == "--backup-path"
    assert caught.value.exit_code == 2
    assert "not a directory" in str(caught.value)


def test_a_file_in_the_way_of_a_parent_fails(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(ConfigError) as caught:
        check_writable("--output-path", str(tmp_path / "blocker" / "sub" / "table"))
    assert caught.value.setting == "--output-path"
    assert str(tmp_path / "blocker") in str(caught.value)


@pytest.mark.skipif(ROOT, reason="root ignores directory permissions")
def test_read_only_directory_fails_naming_the_setting(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError) as caught:
            check_writable("--checkpoint", str(locked / "new" / "ckpt"))
        assert caught.value.setting == "--checkpoint"
        assert str(caught.value).startswith("--checkpoint: ")
        assert "not writable" in str(caught.value)
        with pytest.raises(ConfigError):
            check_writable("--checkpoint", str(locked))
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    "location", ["s3a://bucket/x", "abfss://c@acct.dfs.core.windows.net/x", "hdfs://nn/x"]
)
def test_remote_locations_are_not_checked(location):
    assert local_path(location) is None
    check_writable("--backup-path", location)  # no error although nothing local exists


def test_local_path_forms(tmp_path):
    assert local_path("/data/x") == local_path("file:///data/x")
    assert local_path("relative/dir") == Path.cwd() / "relative/dir"
    assert local_path("/data/x/../y") == local_path("/data/y")
