""" "Did you mean": mistyped processors and settings get the nearest name that exists."""

from __future__ import annotations

import pytest

from jobs.core.errors import ConfigError
from jobs.core.processor import load_processor
from jobs.core.suggest import did_you_mean


def test_the_nearest_name_or_nothing():
    assert did_you_mean("ordres", ["orders", "payments"]) == " (did you mean 'orders'?)"
    assert did_you_mean("zzz", ["orders", "payments"]) == ""


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("jobs.processors.builtn:json_events", "(did you mean 'builtin'?)"),
        ("jobs.processors.builtin:json_event", "(did you mean 'json_events'?)"),
    ],
)
def test_a_mistyped_processor_is_named_with_the_nearest_one(path, hint):
    with pytest.raises(ConfigError, match="--processor") as raised:
        load_processor(path)
    assert str(raised.value).endswith(hint)
