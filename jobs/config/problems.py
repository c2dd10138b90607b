"""Every bad setting of a run reported at once, instead of one per attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from jobs.core.errors import ConfigError

__all__ = ["Problems"]

T = TypeVar("T")


class Problems:
    """``value(parse, fallback)`` for each setting, ``add`` for a problem found otherwise,
    then ``raise_any()``."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def value(self, parse: Callable[[], T], fallback: T) -> T:
        try:
            return parse()
        except ConfigError as e:
            self.errors.append(e)
            return fallback

    def add(self, setting: str, problem: str) -> None:
        self.errors.append(ConfigError(setting, problem))

    def raise_any(self) -> None:
        """One ``ConfigError`` naming the first setting: one line per problem, in the order
        found (the entry point logs each line as its own)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            first, *others = self.errors
            problem = str(first).removeprefix(f"{first.setting}: ")
            raise ConfigError(first.setting, "\n".join([problem, *map(str, others)]))
