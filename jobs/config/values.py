"""Parsers of setting values shared by the jobs: durations, Kafka options, offsets, hours.

Each raises ``ConfigError`` naming the flag, the value found and what would be right; values of
secret-looking Kafka options are never echoed.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

from jobs.core.error_tolerance import ErrorTolerance, parse_error_tolerance
from jobs.core.errors import ConfigError
from jobs.core.partitioning import is_known_timezone
from jobs.core.replay_plan import HOUR_FORMAT, HourRange

__all__ = [
    "REDACTED",
    "absolute_location",
    "check_one_output",
    "check_positive",
    "check_timezone",
    "described",
    "parse_count",
    "parse_duration",
    "parse_errors_tolerance",
    "parse_hour_range",
    "parse_kafka_options",
    "parse_partition_offsets",
    "parse_timestamp_ms",
    "parse_topics",
    "redact",
]

SECRET_KEY = re.compile(r"password|secret|jaas|token|credential|(^|\.)key$", re.IGNORECASE)
REDACTED = "*****(redacted)"
_OPTION_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_COUNT = re.compile(r"-?\d+")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def check_timezone(timezone: str) -> str:
    """``--timezone``: a zone name the standard library knows (``UTC``, ``Europe/Paris``)."""
    if not is_known_timezone(timezone):
        raise ConfigError("--timezone", f"unknown zone {timezone!r}; e.g. UTC or Europe/Paris")
    return timezone


def check_one_output(output_path: str | None, output_topic: str | None) -> None:
    if output_path and output_topic:
        raise ConfigError("--output-path", "give --output-path or --output-topic, not both")


def check_positive(setting: str, value: object) -> None:
    """A count or duration that must be above zero; ``None`` is a setting left out."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(setting, f"must be a number; got {value!r}")
    if value is not None and value <= 0:
        raise ConfigError(setting, f"must be a positive number; got {value}")


def absolute_location(text: str) -> str:
    """A local path made absolute (``data/backup`` → ``/srv/job/data/backup``), so what is
    logged and written is the same wherever the job is started from; a URI (``s3a://…``,
    ``file:…``) as given."""
    if not text.strip() or "://" in text or text.startswith("file:"):
        return text
    return os.path.abspath(os.path.expanduser(text))


def parse_topics(text: str | None) -> tuple[str, ...]:
    """``--topics a,b``: the names, blanks dropped."""
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def described(settings: object, *as_text: str) -> dict[str, object]:
    """A settings object as printable data: ``kafka_options`` masked, the fields named in
    ``as_text`` shown as their ``str()`` (None stays None)."""
    shown = {k: v for k, v in vars(settings).items() if k != "kafka_options"}
    shown.update({name: None if shown[name] is None else str(shown[name]) for name in as_text})
    shown["kafka_options"] = redact(vars(settings)["kafka_options"])
    return shown


def redact(options: dict[str, str]) -> dict[str, str]:
    return {k: REDACTED if SECRET_KEY.search(k) else v for k, v in options.items()}


def parse_count(value: str | int, setting: str) -> int:
    """A whole number (records, bytes): the text of a flag, or an integer from a settings file.
    Its sign is the range check's business (``check_positive``)."""
    if isinstance(value, bool) or not _COUNT.fullmatch(str(value).strip()):
        raise ConfigError(setting, f"{value!r} is not a whole number; e.g. 1000")
    return int(value)


def parse_duration(text: str, setting: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(setting, f"{text!r} is not a duration; e.g. 500ms, 10s, 2m")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_errors_tolerance(text: str) -> ErrorTolerance:
    """``--errors-tolerance``: all, none, a count of DLQ records or a share of a batch."""
    tolerance = parse_error_tolerance(str(text))
    if tolerance is None:
        raise ConfigError(
            "--errors-tolerance",
            f"{text!r}; use all (default), none, a count such as 100 or a share such as 5%",
        )
    return tolerance


def parse_kafka_options(pairs: list[str]) -> dict[str, str]:
    """``key=value`` pairs; the value may itself contain ``=``. Never echoes a value."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _OPTION_KEY.fullmatch(key.strip()):
            raise ConfigError("--kafka-option", f"{_shown_key(key.strip())!r} is not key=value")
        options[key.strip()] = value
    return options


def _shown_key(key: str) -> str:
    """The key for a message: cut after a secret-looking word, as a value may follow it."""
    secret = SECRET_KEY.search(key)
    return key if secret is None or secret.end() == len(key) else f"{key[: secret.end()]}…"


def parse_partition_offsets(text: str, setting: str) -> dict[str, dict[int, int]]:
    """``{"topic": {"0": 100, "1": 250}}``: an offset per topic-partition."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(setting, f"not valid JSON ({e.msg} at {e.pos})") from None
    example = 'e.g. {"orders": {"0": 100, "1": 250}}'
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(setting, f"expected a non-empty object of topics; {example}")
    parsed: dict[str, dict[int, int]] = {}
    for topic, partitions in raw.items():
        if not isinstance(partitions, dict) or not partitions:
            raise ConfigError(setting, f"topic {topic!r}: expected an object; {example}")
        parsed[topic] = {}
        for partition, offset in partitions.items():
            if (
                not str(partition).isdecimal()
                or not isinstance(offset, int)
                or isinstance(offset, bool)
                or offset < 0
            ):
                raise ConfigError(
                    setting,
                    f"{topic}[{partition}] = {offset!r}: partitions and offsets must be "
                    f"non-negative integers; {example}",
                )
            parsed[topic][int(partition)] = offset
    return parsed


def parse_hour(text: str, setting: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), HOUR_FORMAT)
    except ValueError:
        raise ConfigError(setting, f"{text!r} is not an hour; e.g. 2026-11-22T09") from None


def parse_hour_range(first: str | None, last: str | None) -> HourRange | None:
    """``--from``/``--to``; either may be left out for an open end, both for every hour."""
    if first is None and last is None:
        return None
    start = parse_hour(first, "--from") if first else datetime(1970, 1, 1)
    end = parse_hour(last, "--to") if last else datetime(9999, 12, 31, 23)
    if end < start:
        raise ConfigError("--to", f"{last} is before --from {first}: the range is reversed")
    return HourRange(start, end)


def parse_timestamp_ms(text: str, setting: str) -> int:
    """Epoch milliseconds, or an ISO time (``2026-11-22T09:30:00Z``; no zone means UTC)."""
    value = text.strip()
    if value.isdecimal():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            setting, f"{text!r}: give epoch milliseconds or an ISO time (2026-11-22T09:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
