"""The broker's class archive: written by one JVM's clean exit, mapped by the JVMs after it.

Real JVMs (Kafka's storage tool on the broker jars), no broker.
"""

import pytest

from kafka_utils import jar_cache
from kafka_utils.class_archive import CLASS_ARCHIVE_ENV, ClassArchive
from kafka_utils.jvm import run_tool


@pytest.fixture(scope="module")
def classpath() -> str:
    return jar_cache.classpath("broker")


def random_uuid(classpath: str, options: list[str]):
    return run_tool("kafka.tools.StorageTool", ["random-uuid"], classpath, options)


def test_the_first_jvm_writes_the_archive_and_the_next_maps_it(tmp_path, classpath):
    archive = ClassArchive(tmp_path / "cds", classpath)
    options, dump = archive.options()
    assert dump is not None and not archive.path.exists()
    assert archive.options() == ([], None), "a second JVM wrote an archive at the same time"

    first = random_uuid(classpath, options)
    assert first.returncode == 0, first.stderr
    archive.publish(dump, exited_cleanly=True)
    assert archive.path.is_file() and not dump.exists()

    again, no_dump = archive.options()
    assert no_dump is None and again == archive.use_options()
    assert f"-XX:SharedArchiveFile={archive.path}" in again
    second = random_uuid(classpath, [*again, "-Xshare:on"])  # on: fail if it cannot map it
    assert second.returncode == 0, second.stdout + second.stderr
    assert "cds" not in second.stdout + second.stderr


def test_a_dump_of_a_killed_jvm_is_dropped_and_the_next_jvm_writes_again(tmp_path, classpath):
    archive = ClassArchive(tmp_path, classpath)
    _, dump = archive.options()
    dump.write_bytes(b"half an archive")
    archive.publish(dump, exited_cleanly=False)
    assert not dump.exists() and not archive.path.exists()
    assert archive.options()[1] is not None


def test_switched_off_or_unwritable_means_no_archive_options(tmp_path, classpath, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert ClassArchive(blocked / "cds", classpath).options() == ([], None)
    monkeypatch.setenv(CLASS_ARCHIVE_ENV, "off")
    archive = ClassArchive(tmp_path, classpath)
    archive.path.write_bytes(b"")
    assert archive.options() == ([], None) and archive.use_options() == []


def test_another_classpath_or_jdk_gets_another_archive(tmp_path, classpath):
    assert ClassArchive(tmp_path, classpath).path != ClassArchive(tmp_path, "other.jar").path
    assert ClassArchive(tmp_path, classpath).path == ClassArchive(tmp_path, classpath).path
