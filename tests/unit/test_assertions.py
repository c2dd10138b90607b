import itertools

import pytest

from kafka_utils import KafkaUtils, NotSetUpError, assert_eventually
from kafka_utils.assertions import caught_up
from kafka_utils.backends import choose_backend_name, docker_engine_check
from kafka_utils.errors import BackendUnavailableError


def test_returns_the_first_matching_result():
    counter = itertools.count()
    assert assert_eventually(lambda: next(counter), 3, timeout=5, interval=0.01) == 3


def test_accepts_a_predicate():
    counter = itertools.count()
    assert assert_eventually(lambda: next(counter), lambda n: n > 4, timeout=5, interval=0) == 5


def test_timeout_shows_a_diff_of_expected_and_last_seen():
    with pytest.raises(AssertionError) as caught:
        assert_eventually(lambda: {"a": 1, "b": 2}, {"a": 1, "b": 3}, timeout=0.2, interval=0.05)
    text = str(caught.value)
    assert "condition not met within 0.2s" in text
    assert "--- expected" in text and "+++ last seen" in text
    assert "-{'a': 1, 'b': 3}" in text and "+{'a': 1, 'b': 2}" in text


def test_timeout_names_a_false_predicate_and_the_last_value():
    def is_positive(n):
        return n > 0

    with pytest.raises(AssertionError, match=r"predicate is_positive was false.*\n-1"):
        assert_eventually(lambda: -1, is_positive, timeout=0.1, interval=0.05)


def test_timeout_reports_the_last_exception_of_the_result_function():
    def broken():
        raise ConnectionError("broker gone")

    with pytest.raises(AssertionError, match="ConnectionError: broker gone"):
        assert_eventually(broken, 1, timeout=0.1, interval=0.05)


def test_needs_an_expectation():
    with pytest.raises(TypeError, match="expected value or a predicate"):
        assert_eventually(lambda: 1)


def test_caught_up_compares_every_partition():
    targets = {"t": {0: 5, 1: 3, 2: 0}}
    assert caught_up({"t": {0: 5, 1: 4}}, targets)
    assert not caught_up({"t": {0: 5, 1: 2}}, targets)
    assert not caught_up({}, targets)


@pytest.mark.parametrize("call", ["broker", "producer", "admin_client", "cluster"])
def test_properties_before_setup_name_the_call(call):
    with pytest.raises(NotSetUpError, match=rf"KafkaUtils\.{call} .*call setup\(\) first"):
        getattr(KafkaUtils(), call)


def test_methods_before_setup_name_the_call():
    utils = KafkaUtils()
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.create_topics"):
        utils.create_topics(["t"])
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.send_messages"):
        utils.send_messages("t", [("k", "v")])
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.end_offsets"):
        utils.end_offsets("t")


def test_backend_choice(monkeypatch):
    monkeypatch.delenv("KAFKA_UTILS_BACKEND", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert choose_backend_name() == "embedded"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    assert choose_backend_name() == "external"
    assert choose_backend_name("testcontainers") == "testcontainers"
    with pytest.raises(ValueError, match="embedded, testcontainers, external"):
        choose_backend_name("docker")


def test_external_backend_without_servers_says_what_it_needs(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with pytest.raises(BackendUnavailableError, match="needs KAFKA_BOOTSTRAP_SERVERS"):
        KafkaUtils(backend="external").setup()


def test_testcontainers_backend_without_docker_says_so():
    try:
        docker_engine_check()
    except BackendUnavailableError as e:
        assert "needs a running Docker engine" in str(e) and "embedded" in str(e)
        with pytest.raises(BackendUnavailableError, match="Docker engine"):
            KafkaUtils(backend="testcontainers").setup()
    else:
        pytest.skip("a Docker engine answers here; tests/integration/test_testcontainers.py runs")
