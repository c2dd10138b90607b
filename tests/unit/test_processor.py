"""``jobs.processor``: loading ``module:object``, the open/close life cycle and ``Record``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.core.errors import ConfigError
from jobs.core.processor import LoadedProcessor, is_sql_processor, load_processor
from jobs.processor import Record, processor
from jobs.processors.builtin import JsonEvents, passthrough

WHEN = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def record(value: bytes | None = b'{"a": 1}', headers=()) -> Record:
    return Record(b"k", value, "orders", 2, 17, WHEN, headers)


def load_error(path: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_processor(path)
    assert caught.value.setting == "--processor"
    assert caught.value.exit_code == 2
    return caught.value


# --- built-ins -----------------------------------------------------------------------------


def test_load_passthrough():
    loaded = load_processor("jobs.processors.builtin:passthrough")
    assert loaded.target is passthrough
    assert loaded.path == "jobs.processors.builtin:passthrough"
    assert loaded.output_schema == "key BINARY, value BINARY"
    assert not loaded.is_class
    with loaded.opened() as call:
        assert call(record(b"v")) == {"key": b"k", "value": b"v"}


def test_the_built_in_json_events_is_the_sql_one_and_its_python_twin_loads_too():
    assert is_sql_processor(load_processor("jobs.processors.builtin:json_events").target)
    loaded = load_processor("jobs.processors.builtin:JsonEvents")
    assert loaded.target is JsonEvents
    assert loaded.is_class
    assert loaded.output_schema == "event_id STRING, user_id BIGINT, amount DOUBLE, kind STRING"
    value = b'{"event_id": "e1", "user_id": 3, "amount": 2, "kind": "buy"}'
    with loaded.opened() as call:
        assert call(record(value)) == {"event_id": "e1", "user_id": 3, "amount": 2.0, "kind": "buy"}


def test_dotted_attribute_path(make_module):
    name = make_module(
        """
        from jobs.processor import processor

        class Holder:
            @staticmethod
            @processor("x INT")
            def handle(record):
                return {"x": 1}
        """
    )
    loaded = load_processor(f"{name}:Holder.handle")
    assert loaded.output_schema == "x INT"
    assert not loaded.is_class


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["jobs.processors.builtin", "jobs.processors.builtin:", ":passthrough", ""]
)
def test_not_module_colon_object(path):
    assert "package.module:object" in str(load_error(path))


def test_module_that_does_not_import():
    error = load_error("no_such_package_xyz.processors:thing")
    assert "'no_such_package_xyz.processors'" in str(error)
    assert "ModuleNotFoundError" in str(error)


def test_module_whose_import_raises(make_module):
    name = make_module('raise RuntimeError("database unreachable at import")\n')
    error = load_error(f"{name}:process")
    assert repr(name) in str(error)
    assert "RuntimeError" in str(error)
    assert "database unreachable at import" in str(error)


def test_module_with_a_syntax_error(make_module):
    name = make_module("def broken(:\n")
    error = load_error(f"{name}:broken")
    assert repr(name) in str(error)
    assert "SyntaxError" in str(error)


def test_missing_attribute():
    error = load_error("jobs.processors.builtin:no_such_processor")
    assert "'jobs.processors.builtin'" in str(error)
    assert "'no_such_processor'" in str(error)


def test_attribute_that_is_a_plain_value(make_module):
    name = make_module("LIMIT = 5\n")
    error = load_error(f"{name}:LIMIT")
    assert "int" in str(error)
    assert "not a function or class" in str(error)


def test_instance_is_not_a_processor(make_module):
    name = make_module(
        """
        from jobs.processors.builtin import JsonEvents
        events = JsonEvents()
        """
    )
    assert "JsonEvents" in str(load_error(f"{name}:events"))


def test_class_without_process(make_module):
    name = make_module(
        """
        class Handler:
            output_schema = "x INT"
            def handle(self, record):
                return {"x": 1}
        """
    )
    assert "process(record)" in str(load_error(f"{name}:Handler"))


def test_class_whose_process_is_not_callable(make_module):
    name = make_module(
        """
        class Handler:
            output_schema = "x INT"
            process = "not a method"
        """
    )
    assert "process(record)" in str(load_error(f"{name}:Handler"))


def test_function_without_output_schema(make_module):
    name = make_module("def handle(record):\n    return {'x': 1}\n")
    error = load_error(f"{name}:handle")
    assert "output_schema" in str(error)
    assert "@processor(" in str(error)


def test_class_without_output_schema(make_module):
    name = make_module(
        """
        class Handler:
            def process(self, record):
                return None
        """
    )
    assert "output_schema" in str(load_error(f"{name}:Handler"))


def test_processor_decorator_declares_the_schema():
    @processor("id LONG")
    def handle(record):
        return None

    assert handle.output_schema == "id LONG"


# --- open / close --------------------------------------------------------------------------

LIFECYCLE = """
from jobs.processor import processor

CALLS = []

@processor("n INT")
class Counting:
    def __init__(self):
        CALLS.append("init")

    def open(self):
        CALLS.append("open")

    def process(self, record):
        CALLS.append(f"process:{record.offset}")
        if record.value == b"boom":
            raise ValueError("boom")
        return {"n": record.offset}

    def close(self):
        CALLS.append("close")
"""


def test_class_processor_is_opened_before_and_closed_after(make_module):
    name = make_module(LIFECYCLE)
    loaded = load_processor(f"{name}:Counting")
    calls = __import__(name).CALLS
    with loaded.opened() as call:
        assert calls == ["init", "open"]
        assert call(record()) == {"n": 17}
        assert calls == ["init", "open", "process:17"]
    assert calls == ["init", "open", "process:17", "close"]


def test_close_runs_even_when_processing_raises(make_module):
    name = make_module(LIFECYCLE)
    loaded = load_processor(f"{name}:Counting")
    calls = __import__(name).CALLS
    with pytest.raises(ValueError, match="boom"), loaded.opened() as call:
        call(record(b"boom"))
    assert calls == ["init", "open", "process:17", "close"]


def test_each_opening_gets_a_fresh_instance(make_module):
    name = make_module(LIFECYCLE)
    loaded = load_processor(f"{name}:Counting")
    with loaded.opened() as first, loaded.opened() as second:
        assert first.__self__ is not second.__self__
    assert __import__(name).CALLS.count("close") == 2


def test_class_without_open_and_close(make_module):
    name = make_module(
        """
        from jobs.processor import processor

        @processor("n INT")
        class Plain:
            def process(self, record):
                return {"n": 1}
        """
    )
    with load_processor(f"{name}:Plain").opened() as call:
        assert call(record()) == {"n": 1}


def test_function_processor_is_called_as_is():
    def handle(r):
        return {"offset": r.offset}

    with LoadedProcessor("x:handle", handle, "offset LONG").opened() as call:
        assert call is handle


# --- Record --------------------------------------------------------------------------------


def test_record_text():
    assert record("héllo".encode()).text() == "héllo"
    assert record("héllo".encode("latin-1")).text("latin-1") == "héllo"
    assert record(None).text() == ""
    with pytest.raises(UnicodeDecodeError):
        record(b"\xff\xfe").text()


def test_record_header():
    r = record(headers=(("trace", b"t1"), ("empty", None), ("trace", b"t2")))
    assert r.header("trace") == b"t1"  # the first one wins
    assert r.header("empty") is None
    assert r.header("absent") is None
    assert record().header("trace") is None


def test_record_is_read_only():
    r = record()
    with pytest.raises(AttributeError):
        r.value = b"changed"  # type: ignore[misc]
