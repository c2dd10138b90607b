"""``kafka_utils.security``: the embedded broker's TLS certificate and listener protocols."""

from __future__ import annotations

import ssl

import pytest

from kafka_utils.security import BrokerTls, SaslUsers, listener_protocol


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> BrokerTls:
    return BrokerTls.create(tmp_path_factory.mktemp("tls"))


def test_the_certificate_is_a_pem_file_python_can_trust(tls):
    assert tls.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    assert context.cert_store_stats()["x509"] == 1
    assert tls.client_options() == {"ssl_cafile": str(tls.ca_file), "ssl_check_hostname": True}


def test_java_clients_get_a_pem_truststore_and_the_broker_its_keystore(tls):
    assert tls.java_options() == {
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca_file),
    }
    props = tls.broker_properties()
    assert props["ssl.keystore.location"] == str(tls.keystore) and tls.keystore.is_file()
    assert props["ssl.keystore.password"] == props["ssl.key.password"]


def test_the_keystore_password_never_shows(tls):
    password = tls.broker_properties()["ssl.keystore.password"]
    assert password not in repr(tls)
    assert tls.scrub(f"it was {password}") == "it was *****"


@pytest.mark.parametrize(
    ("sasl", "tls", "protocol"),
    [
        (None, False, "PLAINTEXT"),
        (SaslUsers({"a": "pw"}), False, "SASL_PLAINTEXT"),
        (None, True, "SSL"),
        (SaslUsers({"a": "pw"}), True, "SASL_SSL"),
    ],
)
def test_listener_protocol(sasl, tls, protocol):
    assert listener_protocol(sasl, tls) == protocol


def test_sasl_options_follow_the_listener_protocol():
    users = SaslUsers({"alice": "pw"})
    assert users.client_options(protocol="SASL_SSL")["security_protocol"] == "SASL_SSL"
    assert users.java_options(protocol="SASL_SSL")["security.protocol"] == "SASL_SSL"
    assert "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config" in users.broker_properties(
        "SASL_SSL"
    )
