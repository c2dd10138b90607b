"""Security for the embedded broker: SASL logins and TLS, and the settings each side needs.

``SaslUsers`` names the mechanism and the users (name → password) of a SASL listener.
``BrokerTls`` is a self-signed certificate for ``127.0.0.1``, made with the JDK's ``keytool``.
Each gives the broker its properties, kafka-python clients their keyword arguments, and Spark
or ``--kafka-option`` the Java-style options. Passwords never appear in a ``repr`` nor in an
error raised here.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from kafka_utils.errors import BrokerStartError
from kafka_utils.jvm import java_executable

Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
MECHANISMS: tuple[Mechanism, ...] = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECURITY_PROTOCOL = "SASL_PLAINTEXT"
BROKER_USER = "kafka-utils-broker"
MASK = "*****"
_NAME = re.compile(r"[A-Za-z0-9._-]+")
# JAAS quoting, Java properties escapes and kafka-storage's "[name=…,password=…]" syntax
# each break on one of these characters.
_PASSWORD = re.compile(r"[^\s\"'\\,;=\[\]]+")
_LOGIN_MODULE = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


@dataclass(frozen=True, repr=False)
class SaslUsers:
    """The users of a SASL_PLAINTEXT listener and their mechanism.

    ``SaslUsers({"alice": "alice-pw"}, mechanism="PLAIN")``. ``client_user`` is the user the
    harness's own clients log in as (the first user by default).
    """

    users: Mapping[str, str]
    mechanism: Mechanism = "SCRAM-SHA-256"
    client_user: str | None = None
    _broker_password: str = field(
        init=False, compare=False, default_factory=lambda: secrets.token_urlsafe(24)
    )

    def __post_init__(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise ValueError(f"mechanism must be one of {', '.join(MECHANISMS)}")
        if not self.users:
            raise ValueError("SaslUsers needs at least one user")
        for name, password in self.users.items():
            _check_user(name, password)
        if self.client_user is not None and self.client_user not in self.users:
            raise ValueError(f"client_user {self.client_user!r} is not one of the users")
        object.__setattr__(self, "users", MappingProxyType(dict(self.users)))

    def __repr__(self) -> str:
        return f"SaslUsers(mechanism={self.mechanism!r}, users={sorted(self.users)})"

    @property
    def default_user(self) -> str:
        return self.client_user or next(iter(self.users))

    def passwords(self) -> Iterable[str]:
        """Every password this object knows (the broker's own included), e.g. to scrub text."""
        return (*self.users.values(), self._broker_password)

    # -- clients -------------------------------------------------------------------------

    def jaas_config(self, user: str | None = None, password: str | None = None) -> str:
        """The client's ``sasl.jaas.config``; ``password`` overrides the user's own."""
        name = user or self.default_user
        secret = self._password(name) if password is None else password
        return f'{_LOGIN_MODULE[self.mechanism]} required username="{name}" password="{secret}";'

    def java_options(
        self,
        user: str | None = None,
        password: str | None = None,
        protocol: str = SECURITY_PROTOCOL,
    ) -> dict[str, str]:
        """Java client options without the ``kafka.`` prefix: for ``--kafka-option``."""
        return {
            "security.protocol": protocol,
            "sasl.mechanism": self.mechanism,
            "sasl.jaas.config": self.jaas_config(user, password),
        }

    def client_options(
        self, user: str | None = None, protocol: str = SECURITY_PROTOCOL
    ) -> dict[str, Any]:
        """Keyword arguments that make a kafka-python client log in as ``user``."""
        name = user or self.default_user
        return {
            "security_protocol": protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": name,
            "sasl_plain_password": self._password(name),
        }

    # -- the broker ----------------------------------------------------------------------

    def broker_properties(self, listener: str = SECURITY_PROTOCOL) -> dict[str, str]:
        """Server properties of the SASL listener; brokers talk to each other over it too."""
        module = _LOGIN_MODULE[self.mechanism]
        login = f'username="{BROKER_USER}" password="{self._broker_password}"'
        if self.mechanism == "PLAIN":
            accepted = " ".join(f'user_{n}="{p}"' for n, p in self._all_users().items())
            login = f"{login} {accepted}"
        prefix = f"listener.name.{listener.lower()}.{self.mechanism.lower()}"
        return {
            "sasl.enabled.mechanisms": self.mechanism,
            "sasl.mechanism.inter.broker.protocol": self.mechanism,
            f"{prefix}.sasl.jaas.config": f"{module} required {login};",
        }

    def format_arguments(self) -> list[str]:
        """``kafka-storage format`` arguments that create the SCRAM credentials (none for PLAIN)."""
        if self.mechanism == "PLAIN":
            return []
        arguments = []
        for name, password in self._all_users().items():
            arguments += ["--add-scram", f"{self.mechanism}=[name={name},password={password}]"]
        return arguments

    def scrub(self, text: str) -> str:
        """``text`` with every password masked."""
        for password in self.passwords():
            text = text.replace(password, MASK)
        return text

    def _all_users(self) -> dict[str, str]:
        return {**self.users, BROKER_USER: self._broker_password}

    def _password(self, user: str) -> str:
        if user not in self.users:
            raise KeyError(f"no SASL user {user!r}; users are {sorted(self.users)}")
        return self.users[user]


def _check_user(name: object, password: object) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name == BROKER_USER:
        raise ValueError(
            f"SASL user name {name!r}: use letters, digits, '.', '_' or '-' "
            f"(and not {BROKER_USER!r}, the brokers' own user)"
        )
    if not isinstance(password, str) or not _PASSWORD.fullmatch(password):
        raise ValueError(
            f"the password of SASL user {name!r} must be a non-empty string without spaces, "
            "quotes, backslashes or any of , ; = [ ] (value not shown)"
        )


@dataclass(frozen=True, repr=False)
class BrokerTls:
    """A self-signed certificate for ``127.0.0.1``: the broker's keystore, the clients' CA."""

    keystore: Path
    ca_file: Path
    _password: str

    def __repr__(self) -> str:
        return f"BrokerTls(ca_file={str(self.ca_file)!r})"

    @classmethod
    def create(cls, directory: Path) -> BrokerTls:
        """Make a fresh key pair and certificate in ``directory`` with ``keytool``."""
        directory.mkdir(parents=True, exist_ok=True)
        tls = cls(directory / "broker.p12", directory / "ca.pem", secrets.token_urlsafe(18))
        tls._keytool(
            "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
            "-validity", "7", "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1,DNS:localhost",
            "-storetype", "PKCS12", "-keystore", str(tls.keystore),
        )  # fmt: skip
        tls._keytool(
            "-exportcert", "-rfc", "-alias", "broker", "-keystore", str(tls.keystore),
            "-file", str(tls.ca_file),
        )  # fmt: skip
        return tls

    def broker_properties(self) -> dict[str, str]:
        """The keystore, and the certificate to trust when brokers talk to each other."""
        return {
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(self.keystore),
            "ssl.keystore.password": self._password,
            "ssl.key.password": self._password,
            **self.java_options(),
        }

    def java_options(self) -> dict[str, str]:
        """Java client options that trust the broker's certificate (a PEM truststore)."""
        return {"ssl.truststore.type": "PEM", "ssl.truststore.location": str(self.ca_file)}

    def client_options(self) -> dict[str, Any]:
        return {"ssl_cafile": str(self.ca_file), "ssl_check_hostname": True}

    def scrub(self, text: str) -> str:
        return text.replace(self._password, MASK)

    def _keytool(self, *args: str) -> None:
        keytool = str(Path(java_executable()).with_name("keytool"))
        environment = {**os.environ, "KAFKA_UTILS_STOREPASS": self._password}
        secret_args = ["-storepass:env", "KAFKA_UTILS_STOREPASS"]
        done = subprocess.run(
            [keytool, *args, *secret_args], capture_output=True, text=True, env=environment
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).replace(self._password, MASK)
            raise BrokerStartError(f"keytool {args[0]} failed:\n{output.strip()[-2000:]}")


def listener_protocol(sasl: SaslUsers | None, tls: BrokerTls | bool | None) -> str:
    """PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL."""
    if tls:
        return "SASL_SSL" if sasl else "SSL"
    return "SASL_PLAINTEXT" if sasl else "PLAINTEXT"
