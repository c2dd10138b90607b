"""The processor contract: what user code receives, returns and declares.

A processor is named ``package.module:object``. It is either a function called once per record,
or a class with ``process(record)`` and optional ``open()`` / ``close()`` (one instance per
task, ``open`` before its first record, ``close`` after its last). It receives a read-only
``Record`` and returns a dict (one output row), a list of dicts (several rows) or None (no
output: the record is *filtered*). Raising sends the record to the DLQ. It declares its output
schema as ``output_schema`` (a DDL string or a StructType) on the function or class.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.core.errors import ConfigError
from jobs.core.suggest import did_you_mean

__all__ = [
    "Headers",
    "LoadedProcessor",
    "Record",
    "is_sql_processor",
    "load_processor",
    "processor",
    "sql_processor",
]

Headers = tuple[tuple[str, bytes | None], ...]
_DOTTED_NAME = re.compile(r"[^\W\d]\w*(\.[^\W\d]\w*)*")


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record as the processor sees it; key and value stay bytes."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    headers: Headers = ()

    def text(self, encoding: str = "utf-8") -> str:
        """The value decoded; ``UnicodeDecodeError`` when it is not valid text."""
        return (self.value or b"").decode(encoding)

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


def processor(output_schema: str | Any) -> Callable[[Any], Any]:
    """Decorator declaring a processor's output schema: ``@processor("id LONG, name STRING")``."""

    def declare(target: Any) -> Any:
        target.output_schema = output_schema
        return target

    return declare


def sql_processor(output_schema: str | Any) -> Callable[[Any], Any]:
    """Declare a ``DataFrame -> DataFrame`` processor of Spark expressions and its output
    schema: ``@sql_processor("id LONG, name STRING")`` (see ``jobs.pipeline.apply_sql``)."""

    def declare(target: Any) -> Any:
        target.output_schema = output_schema
        target.sql_processor = True
        return target

    return declare


def is_sql_processor(target: Any) -> bool:
    return getattr(target, "sql_processor", False) is True


@dataclass(frozen=True)
class LoadedProcessor:
    path: str
    target: Any
    output_schema: Any

    @property
    def is_class(self) -> bool:
        return inspect.isclass(self.target)

    @contextmanager
    def opened(self) -> Iterator[Callable[[Record], Any]]:
        """The per-record callable, with ``open()``/``close()`` around it for class processors."""
        if not self.is_class:
            yield self.target
            return
        instance = self.target()
        if hasattr(instance, "open"):
            instance.open()
        try:
            yield instance.process
        finally:
            if hasattr(instance, "close"):
                instance.close()


def load_processor(path: str) -> LoadedProcessor:
    """Import ``module:object`` and check it keeps the contract; ``ConfigError`` otherwise."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError("--processor", f"{path!r} is not package.module:object")
    _check_import_path(path, module_name, attribute)
    try:
        module = importlib.import_module(module_name)
    except Exception as e:
        hint = _module_hint(module_name) if isinstance(e, ModuleNotFoundError) else ""
        raise ConfigError(
            "--processor", f"cannot import {module_name!r}: {type(e).__name__}: {e}{hint}"
        ) from None
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            hint = did_you_mean(part, [n for n in dir(target) if not n.startswith("_")])
            raise ConfigError("--processor", f"module {module_name!r} has no {attribute!r}{hint}")
        target = getattr(target, part)
    _check_shape(path, target)
    schema = getattr(target, "output_schema", None)
    if schema is None:
        raise ConfigError(
            "--processor",
            f'{path} declares no output_schema; add e.g. @processor("id LONG, name STRING")',
        )
    return LoadedProcessor(path, target, schema)


def _module_hint(module_name: str) -> str:
    """The nearest module of the same package, for a mistyped last part."""
    parent, _, last = module_name.rpartition(".")
    try:
        paths = getattr(importlib.import_module(parent), "__path__", None) if parent else None
    except Exception:
        return ""
    return did_you_mean(last, [m.name for m in pkgutil.iter_modules(paths)]) if paths else ""


def _check_import_path(path: str, module_name: str, attribute: str) -> None:
    """Refuse, before importing anything, what is not a plain import path: a file path such
    as ``/tmp/evil.py`` or ``../x:y`` is never run as code."""
    dotted = _DOTTED_NAME.fullmatch(module_name) and _DOTTED_NAME.fullmatch(attribute)
    if not dotted or module_name.endswith(".py"):
        raise ConfigError(
            "--processor",
            f"{path!r} is not package.module:object: give the Python import path of the "
            "processor (its package on PYTHONPATH or in --py-files), never a file path",
        )


def _check_shape(path: str, target: Any) -> None:
    if inspect.isclass(target):
        if not callable(getattr(target, "process", None)):
            raise ConfigError("--processor", f"class {path} has no process(record) method")
    elif not callable(target):
        raise ConfigError(
            "--processor", f"{path} is a {type(target).__name__}, not a function or class"
        )
