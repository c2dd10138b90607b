"""One setting stretches every deadline: ``$KAFKA_UTILS_TIME_SCALE``."""

import time

import pytest

from kafka_utils import assert_eventually
from kafka_utils.timing import TIME_SCALE_ENV, scaled, time_scale


def test_unset_means_one(monkeypatch):
    monkeypatch.delenv(TIME_SCALE_ENV, raising=False)
    assert time_scale() == 1.0 and scaled(30) == 30


def test_a_factor_multiplies_every_deadline(monkeypatch):
    monkeypatch.setenv(TIME_SCALE_ENV, "2.5")
    assert scaled(4) == 10


@pytest.mark.parametrize("value", ["0", "-1", "fast", "inf", "nan"])
def test_a_bad_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(TIME_SCALE_ENV, value)
    with pytest.raises(ValueError, match=TIME_SCALE_ENV):
        time_scale()


def test_assert_eventually_waits_the_stretched_deadline_in_pysparks_words(monkeypatch):
    monkeypatch.setenv(TIME_SCALE_ENV, "3")
    started = time.monotonic()
    with pytest.raises(AssertionError) as caught:
        assert_eventually(lambda: 1, 2, timeout=0.1, interval=0.02)
    assert time.monotonic() - started >= 0.3
    assert str(caught.value).startswith("Condition not met within 0.1s. Expected: 2, Got: 1")
