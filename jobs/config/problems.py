"""Every bad setting of a run reported at once, instead of one per attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from jobs.core.errors import ConfigError

__all__ = ["Problems"]

T = TypeVar("T")


class Problems:
    """``value(parse, fallback)`` for each setting, then ``raise_any()``."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def value(self, parse: Callable[[], T], fallback: T) -> T:
        try:
            return parse()
        except ConfigError as e:
            self.errors.append(e)
            return fallback

    def raise_any(self) -> None:
        """One ``ConfigError`` naming the first setting, the others after it."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            first, *others = self.errors
            problem = str(first).removeprefix(f"{first.setting}: ")
            also = " · ".join(str(e) for e in others)
            raise ConfigError(first.setting, f"{problem} · and {len(others)} more: {also}")
