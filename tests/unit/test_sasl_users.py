"""``kafka_utils.security.SaslUsers``: broker and client settings, passwords never shown."""

from __future__ import annotations

import pytest

from kafka_utils import SaslUsers
from kafka_utils.security import BROKER_USER

SECRET = "alice-Pa55"


def test_repr_names_the_users_but_no_password():
    users = SaslUsers({"alice": SECRET, "bob": "bob-Pa55"}, mechanism="PLAIN")
    assert repr(users) == "SaslUsers(mechanism='PLAIN', users=['alice', 'bob'])"
    assert str(users) == repr(users)


def test_clients_log_in_as_the_first_user_unless_told():
    users = SaslUsers({"alice": SECRET, "bob": "bob-Pa55"}, client_user="bob")
    assert users.client_options() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "bob",
        "sasl_plain_password": "bob-Pa55",
    }
    assert SaslUsers({"alice": SECRET}).client_options()["sasl_plain_username"] == "alice"


@pytest.mark.parametrize(
    ("mechanism", "module"),
    [
        ("PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"),
        ("SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule"),
    ],
)
def test_java_options_are_what_spark_and_the_job_take(mechanism, module):
    options = SaslUsers({"alice": SECRET}, mechanism=mechanism).java_options()
    assert options == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": mechanism,
        "sasl.jaas.config": f'{module} required username="alice" password="{SECRET}";',
    }


def test_a_wrong_password_can_be_asked_for():
    jaas = SaslUsers({"alice": SECRET}).jaas_config("alice", password="wrong")
    assert 'password="wrong"' in jaas and SECRET not in jaas


def test_plain_brokers_list_every_user_in_their_jaas():
    users = SaslUsers({"alice": SECRET}, mechanism="PLAIN")
    props = users.broker_properties()
    jaas = props["listener.name.sasl_plaintext.plain.sasl.jaas.config"]
    assert f'user_alice="{SECRET}"' in jaas
    assert f'username="{BROKER_USER}"' in jaas and f'user_{BROKER_USER}="' in jaas
    assert props["sasl.enabled.mechanisms"] == "PLAIN"
    assert users.format_arguments() == []


def test_scram_users_are_created_when_the_storage_is_formatted():
    users = SaslUsers({"alice": SECRET}, mechanism="SCRAM-SHA-256")
    arguments = users.format_arguments()
    assert arguments[:2] == ["--add-scram", f"SCRAM-SHA-256=[name=alice,password={SECRET}]"]
    assert arguments[2] == "--add-scram" and f"[name={BROKER_USER}," in arguments[3]
    jaas = users.broker_properties()["listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config"]
    assert SECRET not in jaas and f'username="{BROKER_USER}"' in jaas


def test_scrub_masks_every_password():
    users = SaslUsers({"alice": SECRET})
    text = " ".join(["login", *users.passwords()])
    assert users.scrub(text) == "login ***** *****"


@pytest.mark.parametrize(
    ("users", "mechanism", "words"),
    [
        ({}, "PLAIN", "at least one user"),
        ({"alice": SECRET}, "GSSAPI", "mechanism must be"),
        ({"al ice": SECRET}, "PLAIN", "SASL user name"),
        ({BROKER_USER: SECRET}, "PLAIN", "SASL user name"),
        ({"alice": f'{SECRET}"'}, "PLAIN", "value not shown"),
        ({"alice": f"{SECRET},x"}, "SCRAM-SHA-256", "value not shown"),
        ({"alice": ""}, "PLAIN", "value not shown"),
    ],
)
def test_bad_users_are_refused_without_showing_a_password(users, mechanism, words):
    with pytest.raises(ValueError) as caught:
        SaslUsers(users, mechanism=mechanism)
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)


def test_client_user_must_be_a_user():
    with pytest.raises(ValueError, match="client_user"):
        SaslUsers({"alice": SECRET}, client_user="mallory")
