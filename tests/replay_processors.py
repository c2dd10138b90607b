"""Processors for the replay tests: the demo's JSON events, stricter or more lenient."""

from __future__ import annotations

from typing import Any

from jobs.processors.builtin import JsonEvents

DEFAULTS: dict[str, Any] = {"event_id": "", "user_id": 0, "amount": 0.0, "kind": "unknown"}


class LenientEvents(JsonEvents):
    """The fix a user ships after a bug report: missing fields get defaults."""

    def validate(self, obj: dict[str, Any]) -> None:
        for name, default in DEFAULTS.items():
            if obj.get(name) is None:
                obj[name] = default
        super().validate(obj)


class NoViews(JsonEvents):
    """Drops ``view`` events: filtered records, which only the ledger accounts for."""

    def transform(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return None if obj["kind"] == "view" else super().transform(obj)


class Clicks(JsonEvents):
    """Clicks only: every other kind fails, for DLQ replays that fail again."""

    def transform(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["kind"] != "click":
            raise NotAClick(f"kind is {obj['kind']!r}")
        return super().transform(obj)


class NotAClick(Exception):
    pass


lenient_events = LenientEvents
no_views = NoViews
clicks = Clicks
