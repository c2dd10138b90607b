"""``jobs.io.kafka_client``: Java-style SASL options as kafka-python settings, secrets unshown."""

from __future__ import annotations

import pytest

from jobs.core.errors import ConfigError
from jobs.io.kafka_client import kafka_python_options

SECRET = "pa55-W0rd"


def jaas(module: str = "scram.ScramLoginModule", password: str = SECRET) -> str:
    return (
        f"org.apache.kafka.common.security.{module} required "
        f'username="alice" password="{password}";'
    )


def sasl(mechanism: str) -> dict[str, str]:
    module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": mechanism,
        "sasl.jaas.config": jaas(module),
    }


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_login_becomes_kafka_python_settings(mechanism):
    mapped = kafka_python_options("h1:9092,h2:9092", sasl(mechanism))
    assert mapped == {
        "bootstrap_servers": ["h1:9092", "h2:9092"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "alice",
        "sasl_plain_password": SECRET,
    }


def test_protocol_and_mechanism_are_case_insensitive_as_in_java():
    options = {**sasl("SCRAM-SHA-256"), "security.protocol": "sasl_ssl"}
    options["sasl.mechanism"] = "scram-sha-256"
    mapped = kafka_python_options("h:1", options)
    assert (mapped["security_protocol"], mapped["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-256")


def test_escaped_quotes_in_the_password_are_unescaped():
    options = {**sasl("PLAIN"), "sasl.jaas.config": jaas(password='a\\"b\\\\c')}
    assert kafka_python_options("h:1", options)["sasl_plain_password"] == 'a"b\\c'


def test_a_jaas_config_without_sasl_is_ignored_as_java_ignores_it():
    mapped = kafka_python_options("h:1", {"sasl.jaas.config": jaas()})
    assert mapped == {"bootstrap_servers": ["h:1"]}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sasl.mechanism": "GSSAPI"}, "GSSAPI"),
        ({"sasl.mechanism": "OAUTHBEARER"}, "OAUTHBEARER"),
        ({"sasl.jaas.config": f'x required password="{SECRET}";'}, 'username="…"'),
        ({"sasl.jaas.config": 'x required username="alice";'}, 'password="…"'),
    ],
)
def test_what_the_driver_cannot_log_in_with_is_a_config_error(change, words):
    options = {**sasl("SCRAM-SHA-256"), **change}
    with pytest.raises(ConfigError) as caught:
        kafka_python_options("h:1", options)
    assert caught.value.setting == "--kafka-option"
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_missing_mechanism_means_gssapi_as_in_java():
    options = sasl("SCRAM-SHA-256")
    del options["sasl.mechanism"]
    with pytest.raises(ConfigError, match="GSSAPI"):
        kafka_python_options("h:1", options)


def test_java_keystores_are_refused_without_showing_the_value():
    with pytest.raises(ConfigError) as caught:
        kafka_python_options("h:1", {"ssl.keystore.password": SECRET})
    assert "ssl.keystore.password" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_pem_truststore_is_the_ca_file_of_the_driver_client():
    options = {
        **sasl("SCRAM-SHA-256"),
        "security.protocol": "SASL_SSL",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": "/etc/kafka/ca.pem",
    }
    mapped = kafka_python_options("h:1", options)
    assert mapped["ssl_cafile"] == "/etc/kafka/ca.pem"
    assert mapped["security_protocol"] == "SASL_SSL"


def test_hostname_checks_stay_on_unless_java_turns_them_off():
    assert "ssl_check_hostname" not in kafka_python_options("h:1", {"security.protocol": "SSL"})
    off = {"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""}
    assert kafka_python_options("h:1", off)["ssl_check_hostname"] is False


@pytest.mark.parametrize(
    "options",
    [
        {"ssl.truststore.location": "/x/trust.jks"},
        {"ssl.truststore.type": "JKS", "ssl.truststore.location": "/x/trust.jks"},
        {"ssl.keystore.type": "PEM", "ssl.keystore.location": "/x/key.pem"},
    ],
)
def test_java_keystores_are_refused(options):
    with pytest.raises(ConfigError, match="PEM truststore"):
        kafka_python_options("h:1", {"security.protocol": "SSL", **options})
