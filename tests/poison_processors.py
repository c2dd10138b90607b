"""Processors that kill or hang the Python worker on chosen records (poison-pill tests)."""

from __future__ import annotations

import os
import time

from jobs.processor import Record, processor


@processor("text STRING")
def deadly(record: Record):
    """``die`` ends the worker process at once (no exception to catch); ``hang`` sleeps far
    past any record timeout; anything else is passed through as text."""
    text = record.text()
    if text == "die":
        os._exit(3)
    if text == "hang":
        time.sleep(3600)
    return {"text": text}
