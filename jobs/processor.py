"""What processor authors import: ``from jobs.processor import Record, processor``.

A processor is named ``package.module:object`` on the command line. It is a function called
once per record, or a class with ``process(record)`` and optional ``open()``/``close()``. It
receives a read-only ``Record`` (key and value as bytes) and returns a dict, a list of dicts or
None (filtered); raising sends the record to the DLQ. ``@processor("id LONG, name STRING")``
declares its output schema. The contract is implemented in ``jobs.core.processor``.
"""

from __future__ import annotations

from jobs.core.processor import Headers, Record, processor

__all__ = ["Headers", "Record", "processor"]
