"""``topics.create`` asks again while the admin client knows the controller's id but not the
broker (a cluster just started, under load); any other refusal, and the deadline, stand."""

from __future__ import annotations

import pytest
from kafka import errors as Errors

from kafka_utils import topics

pytestmark = pytest.mark.unit


class Admin:
    """A stand-in for kafka-python's admin client: the state is a race of a starting cluster
    that a real broker shows only now and then."""

    def __init__(self, refusals: list[Exception]) -> None:
        self.refusals = refusals
        self.calls = 0

    def create_topics(self, wanted, timeout_ms, raise_errors):
        self.calls += 1
        if self.refusals:
            raise self.refusals.pop(0)
        return {"topics": [{"name": n, "error_code": 0} for n in wanted]}


def test_an_unknown_controller_is_asked_again_until_it_answers():
    admin = Admin([Errors.UnknownBrokerIdError(3), Errors.NodeNotReadyError(3)])
    assert topics.create(admin, ["t"], 3, 3, None, timeout=30) == ["t"]
    assert admin.calls == 3


def test_past_the_deadline_the_error_stands():
    admin = Admin([Errors.UnknownBrokerIdError(3)] * 100)
    with pytest.raises(Errors.UnknownBrokerIdError):
        topics.create(admin, ["t"], 3, 3, None, timeout=0)
    assert admin.calls == 1


def test_other_refusals_are_not_asked_again():
    admin = Admin([Errors.InvalidReplicationFactorError("3 > 1 broker")])
    with pytest.raises(Errors.InvalidReplicationFactorError):
        topics.create(admin, ["t"], 3, 3, None, timeout=30)
    assert admin.calls == 1
