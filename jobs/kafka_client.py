"""Java-style Kafka client options (as Spark takes them) translated for kafka-python.

The driver uses kafka-python for what Spark does not do: the reachability check at start and
the optional consumer-group commit. Only options with a kafka-python equivalent are mapped.
"""

from __future__ import annotations

import re
from typing import Any

from jobs.errors import ConfigError

_JAAS_FIELD = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')
_DIRECT = {
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "ssl.ca.location": "ssl_cafile",
    "ssl.endpoint.identification.algorithm": None,
    "client.id": "client_id",
}


def kafka_python_options(bootstrap_servers: str, options: dict[str, str]) -> dict[str, Any]:
    """Settings for kafka-python clients; ``ConfigError`` for what it cannot express."""
    mapped: dict[str, Any] = {"bootstrap_servers": bootstrap_servers.split(",")}
    for key, value in options.items():
        if key == "sasl.jaas.config":
            mapped |= _jaas(value)
        elif key in _DIRECT:
            if _DIRECT[key]:
                mapped[_DIRECT[key]] = value
        elif key.startswith("ssl.") and key.endswith(("location", "password", "type")):
            raise ConfigError(
                "--kafka-option",
                f"{key}: Java keystores cannot be used by the driver's Kafka client "
                "(needed for --commit-group and the start check); give PEM files instead",
            )
    return mapped


def _jaas(config: str) -> dict[str, str]:
    fields = dict(_JAAS_FIELD.findall(config))
    if "username" not in fields or "password" not in fields:
        raise ConfigError(
            "--kafka-option",
            'sasl.jaas.config must hold username="…" and password="…" (value not shown)',
        )
    return {"sasl_plain_username": fields["username"], "sasl_plain_password": fields["password"]}
