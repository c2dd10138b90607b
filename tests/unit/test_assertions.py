import itertools
import time

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


def test_timeout_uses_pysparks_wording_then_a_diff_of_expected_and_last_seen():
    with pytest.raises(AssertionError) as caught:
        assert_eventually(lambda: {"a": 1, "b": 2}, {"a": 1, "b": 3}, timeout=0.2, interval=0.05)
    text = str(caught.value)
    first, *rest = text.splitlines()
    assert (
        first == "Condition not met within 0.2s. Expected: {'a': 1, 'b': 3}, Got: {'a': 1, 'b': 2}"
    )
    assert "--- expected" in rest and "+++ last seen" in rest
    assert "-{'a': 1, 'b': 3}" in rest and "+{'a': 1, 'b': 2}" in rest


def test_timeout_message_is_headed_by_the_callers_message():
    with pytest.raises(AssertionError, match=r"^topics gone: Condition not met within 0.2s\."):
        assert_eventually(lambda: 1, 2, timeout=0.2, interval=0.1, message="topics gone")


def test_timeout_names_a_false_predicate_and_the_last_value():
    def is_positive(n):
        return n > 0

    with pytest.raises(AssertionError, match=r"Expected: is_positive\(result\) true, Got: -1$"):
        assert_eventually(lambda: -1, is_positive, timeout=0.1, interval=0.05)


def test_an_exception_of_the_result_function_propagates_at_once():
    calls = []

    def broken():
        calls.append(1)
        raise ConnectionError("broker gone")

    started = time.monotonic()
    with pytest.raises(ConnectionError, match="broker gone"):
        assert_eventually(broken, 1, timeout=60, interval=0.05)
    assert calls == [1]
    assert time.monotonic() - started < 30  # a deadline guard, far from the 60 s timeout


def test_exceptions_named_in_retry_on_count_as_not_yet():
    answers = iter([ConnectionError("not yet"), ConnectionError("still not"), 7])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert assert_eventually(flaky, 7, timeout=5, interval=0, retry_on=(ConnectionError,)) == 7


def test_timeout_reports_the_last_retried_exception():
    def broken():
        raise ConnectionError("broker gone")

    with pytest.raises(AssertionError, match="Got: no result\nThe last call raised Connection"):
        assert_eventually(broken, 1, timeout=0.1, interval=0.05, retry_on=(ConnectionError,))


def test_keywords_of_pysparks_signature():
    assert assert_eventually(result_func=lambda: [1], expected=[1], timeout=1, interval=0.1) == [1]


def test_needs_an_expectation():
    with pytest.raises(TypeError, match="expected value or a predicate"):
        assert_eventually(lambda: 1)


def test_caught_up_compares_every_partition():
    targets = {"t": {0: 5, 1: 3, 2: 0}}
    assert caught_up({"t": {0: 5, 1: 4}}, targets)
    assert not caught_up({"t": {0: 5, 1: 2}}, targets)
    assert not caught_up({}, targets)


@pytest.mark.parametrize("call", ["producer", "admin_client", "cluster", "spark_options"])
def test_clients_before_setup_raise_pysparks_runtime_error_naming_the_call(call):
    expected = rf"^KafkaUtils has not been initialized\. Call setup\(\) first \(KafkaUtils\.{call} "
    with pytest.raises(RuntimeError, match=expected) as caught:
        getattr(KafkaUtils(), call)
    assert isinstance(caught.value, NotSetUpError)


def test_broker_is_none_and_not_initialized_before_setup():
    utils = KafkaUtils(kafka_version="7.5.0")
    assert utils.broker is None and utils.initialized is False
    assert utils.kafka_version == "7.5.0"


def test_methods_before_setup_name_the_call():
    utils = KafkaUtils()
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.create_topics"):
        utils.create_topics(["t"])
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.send_messages"):
        utils.send_messages("t", [("k", "v")])
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.end_offsets"):
        utils.end_offsets("t")
    with pytest.raises(NotSetUpError, match=r"KafkaUtils\.get_all_records"):
        utils.get_all_records(None, "t")


def test_teardown_before_setup_does_nothing_and_can_repeat():
    utils = KafkaUtils()
    utils.teardown()
    utils.teardown()
    assert utils.broker is None and utils.initialized is False


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
