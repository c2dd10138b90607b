"""Java-style Kafka client options (as Spark takes them) translated for kafka-python.

The driver uses kafka-python for what Spark does not do: the reachability check at start and
the optional consumer-group commit. Only options with a kafka-python equivalent are mapped.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaAdminClient, errors
from kafka.errors import KafkaError, KafkaTimeoutError

from jobs.core.errors import ConfigError, InfrastructureError

__all__ = ["kafka_python_options", "list_topics"]

_JAAS_FIELD = re.compile(r'\b(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')
_LOGIN_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_UPPER_CASE = {"security.protocol", "sasl.mechanism"}
_DIRECT = {
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "ssl.ca.location": "ssl_cafile",
    "ssl.endpoint.identification.algorithm": None,
    "client.id": "client_id",
}
# kafka-python retries a rejected login until its bootstrap deadline, then reports a timeout:
# short attempts let a rejection seen in the first one end the wait.
_ATTEMPT_SECONDS = 3.0


def kafka_python_options(bootstrap_servers: str, options: dict[str, str]) -> dict[str, Any]:
    """Settings for kafka-python clients; ``ConfigError`` for what it cannot express."""
    mapped: dict[str, Any] = {"bootstrap_servers": bootstrap_servers.split(",")}
    for key, value in options.items():
        if key in _DIRECT:
            if _DIRECT[key]:
                mapped[_DIRECT[key]] = value.upper() if key in _UPPER_CASE else value
        elif key.startswith("ssl.") and key.endswith(("location", "password", "type")):
            mapped |= _pem_truststore(key, options)
    if options.get("ssl.endpoint.identification.algorithm") == "":
        mapped["ssl_check_hostname"] = False
    if str(mapped.get("security_protocol", "")).startswith("SASL_"):
        mapped |= _login(options)
    return mapped


def _pem_truststore(key: str, options: dict[str, str]) -> dict[str, str]:
    """A PEM truststore is the CA file of kafka-python; Java keystores it cannot read."""
    pem = options.get("ssl.truststore.type", "").upper() == "PEM"
    if pem and key == "ssl.truststore.location":
        return {"ssl_cafile": options[key]}
    if pem and key == "ssl.truststore.type":
        return {}
    raise ConfigError(
        "--kafka-option",
        f"{key}: Java keystores cannot be used by the driver's Kafka client (needed for "
        "--commit-group and the start check); give a PEM truststore instead "
        "(ssl.truststore.type=PEM, ssl.truststore.location=ca.pem)",
    )


def _login(options: dict[str, str]) -> dict[str, str]:
    """Username and password from ``sasl.jaas.config``, for the mechanisms that use them.

    Java's default mechanism is GSSAPI (Kerberos), which the driver's client is not set up for.
    """
    mechanism = options.get("sasl.mechanism", "GSSAPI").upper()
    if mechanism not in _LOGIN_MECHANISMS:
        raise ConfigError(
            "--kafka-option",
            f"sasl.mechanism={mechanism}: the driver's Kafka client logs in with "
            f"{', '.join(_LOGIN_MECHANISMS)} only; give one with sasl.mechanism=…",
        )
    config = options.get("sasl.jaas.config", "")
    fields = {name: _unescape(value) for name, value in _JAAS_FIELD.findall(config)}
    if "username" not in fields or "password" not in fields:
        raise ConfigError(
            "--kafka-option",
            'sasl.jaas.config must hold username="…" and password="…" (value not shown)',
        )
    return {"sasl_plain_username": fields["username"], "sasl_plain_password": fields["password"]}


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted)


def list_topics(bootstrap_servers: str, options: dict[str, str], timeout: float) -> set[str]:
    """The cluster's topics, read with the job's own credentials.

    A rejected SASL login is a ``ConfigError`` naming the mechanism and user (never the
    password), raised after the first attempt rather than at the end of ``timeout``.
    """
    mapped = kafka_python_options(bootstrap_servers, options)
    deadline = time.monotonic() + timeout
    with _login_failures() as failures:
        while True:
            attempt = min(_ATTEMPT_SECONDS, max(deadline - time.monotonic(), 0.5))
            try:
                admin = KafkaAdminClient(
                    bootstrap_timeout_ms=int(attempt * 1000),
                    request_timeout_ms=int(timeout * 1000),
                    **mapped,
                )
                break
            except KafkaTimeoutError:
                if failures:
                    raise _login_rejected(bootstrap_servers, mapped, failures[-1]) from None
                if time.monotonic() >= deadline:
                    raise _no_answer(bootstrap_servers, timeout, mapped) from None
            except KafkaError as e:
                raise _refused(bootstrap_servers, e) from None
    try:
        return set(admin.list_topics())
    except KafkaError as e:
        raise _refused(bootstrap_servers, e) from None
    finally:
        admin.close()


class _LoginFailures(logging.Handler):
    """Keeps the login errors kafka-python logs (and otherwise only retries) while connecting."""

    def __init__(self, kinds: tuple[type[BaseException], ...]) -> None:
        super().__init__(logging.WARNING)
        self.kinds = kinds
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        self.errors.extend(a for a in args if isinstance(a, self.kinds))


@contextmanager
def _login_failures() -> Iterator[list[BaseException]]:
    handler = _LoginFailures(
        (
            errors.SaslAuthenticationFailedError,
            errors.UnsupportedSaslMechanismError,
            errors.IllegalSaslStateError,
        )
    )
    logger = logging.getLogger("kafka")
    level = logger.level
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield handler.errors
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _login_rejected(servers: str, mapped: dict[str, Any], error: BaseException) -> ConfigError:
    who = mapped.get("sasl_plain_username")
    reason = str(error).replace(str(mapped.get("sasl_plain_password") or "\0"), "*****")
    return ConfigError(
        "--kafka-option",
        f"Kafka at {servers} rejected the SASL login (authentication failed; mechanism "
        f"{mapped.get('sasl_mechanism')}, user {who!r}): {reason}. Check sasl.mechanism and "
        "the username and password in sasl.jaas.config (not shown)",
    )


def _no_answer(servers: str, timeout: float, mapped: dict[str, Any]) -> InfrastructureError:
    protocol = mapped.get("security_protocol", "PLAINTEXT")
    login = (
        f" (the SASL {mapped.get('sasl_mechanism')} login of user "
        f"{mapped.get('sasl_plain_username')!r} never got through: check the credentials too)"
        if "sasl_plain_username" in mapped
        else ""
    )
    return InfrastructureError(
        f"Kafka at {servers} accepted connections but no {protocol} session was set up "
        f"within {timeout:g}s{login}; check --kafka-option security.protocol (and the "
        "brokers' logs)"
    )


def _refused(servers: str, error: BaseException) -> InfrastructureError:
    return InfrastructureError(
        f"Kafka at {servers} refused the topic check: {type(error).__name__} {error}; "
        "check the --kafka-option security settings"
    )
