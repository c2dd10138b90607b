"""Fixtures for the unit tests: throw-away Python modules written into ``tmp_path``."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def make_module(tmp_path, monkeypatch) -> Iterator[Callable[..., str]]:
    """``make_module(source)`` writes an importable module and returns its (unique) name.

    The folder goes on ``sys.path`` for the test only; the modules leave ``sys.modules`` after.
    """
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    names: list[str] = []

    def make(source: str, name: str | None = None) -> str:
        name = name or f"unit_module_{uuid.uuid4().hex[:12]}"
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)
