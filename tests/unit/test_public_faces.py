"""Every module of ``jobs`` says what it offers (``__all__``), and offers what it says."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "jobs").rglob("*.py")
    if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts
)


@pytest.mark.parametrize("name", MODULES)
def test_the_module_declares_its_public_names_and_has_them(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    absent = [n for n in module.__all__ if not hasattr(module, n)]
    assert absent == [], f"{name}.__all__ names what it does not define"


def test_processor_authors_import_record_and_processor_from_jobs_processor():
    from jobs import processor
    from jobs.core import processor as contract

    assert processor.__all__ == [
        "Headers",
        "Record",
        "error",
        "first_error",
        "processor",
        "sql_processor",
    ]
    assert processor.Record is contract.Record and processor.processor is contract.processor
