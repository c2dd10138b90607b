"""What every entry point does around its run, written once: logging, the checks before Spark
starts, errors turned into exit codes, the settings and the summary printed.

Exit codes: 0 finished or stopped cleanly, 1 failed while running, 2 bad settings (a
``ConfigError`` names the setting, before Spark starts). A ``JobError`` is one log line, never a
stack trace.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Callable, Mapping

from jobs.core.errors import ConfigError, JobError
from jobs.core.processor import LoadedProcessor, load_processor
from jobs.io.paths import check_writable
from jobs.io.preflight import check_reachable, check_topics

__all__ = [
    "check_before_start",
    "check_kafka",
    "check_python_packages",
    "configure_logging",
    "log_settings",
    "print_summary",
    "run_command",
]

log = logging.getLogger(__name__)


def run_command(command: Callable[[], int]) -> int:
    """The exit code of ``command()``, with logging set up; a ``JobError`` is logged as one
    line and gives its own exit code."""
    configure_logging()
    try:
        return command()
    except JobError as e:
        log.error("%s", e)
        return e.exit_code


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("jobs").setLevel(logging.INFO)
    for noisy in ("py4j", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def check_before_start(processor: str, locations: Mapping[str, str | None]) -> LoadedProcessor:
    """Everything that can be checked without Spark or Kafka, so bad settings fail in seconds:
    the Python packages, the processor, and the ``{flag: location}`` the run writes to."""
    check_python_packages()
    loaded = load_processor(processor)
    for setting, location in locations.items():
        if location:
            check_writable(setting, location)
    return loaded


def check_kafka(
    bootstrap_servers: str, kafka_options: dict[str, str], timeout: float, topics: tuple[str, ...]
) -> None:
    """A broker answers, the job's login is accepted, and ``topics`` exist."""
    check_reachable(bootstrap_servers, timeout)
    check_topics(bootstrap_servers, kafka_options, timeout, topics)


def check_python_packages() -> None:
    """Spark runs the processor through Arrow: without pyarrow and pandas every batch fails."""
    missing = [name for name in ("pyarrow", "pandas") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            "python", f"{', '.join(missing)} not installed; pip install pyarrow 'pandas<3'"
        )


def log_settings(settings: Mapping[str, object]) -> None:
    """The settings of the run, as the command's ``describe()`` shows them (secrets masked)."""
    log.info("settings %s", json.dumps(settings, default=str))


def print_summary(text: str, summary: Mapping[str, object]) -> None:
    """The run's summary on stdout: for people, then as one JSON line for machines."""
    print(text, flush=True)
    print(json.dumps(summary), flush=True)
