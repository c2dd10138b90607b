"""What every entry point does around its run, written once: logging, the checks before Spark
starts, errors turned into exit codes, the settings and the summary printed.

SIGTERM and SIGINT are handled from the first line of every ``main``: they become a
``StopRequest``. The stream watches it and stops after the running batch; the other commands
are interrupted where they are (their writes are keyed by record, a rerun finishes them).

Exit codes (``jobs.core.exit_codes``): 0 finished, 1 failed while running, 2 bad settings (a
``ConfigError`` names the setting, before Spark starts; several bad settings are one line
each), 3 stopped by a signal. A ``JobError`` is a log line per line of its message, never a
stack trace.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from jobs.core import exit_codes
from jobs.core.errors import ConfigError, JobError
from jobs.core.processor import LoadedProcessor, load_processor
from jobs.core.stop_request import StopRequest
from jobs.io.filesystems import check_filesystems
from jobs.io.paths import check_writable
from jobs.io.preflight import check_reachable, check_topics
from jobs.io.stop_signals import handle_stop_signals, ignore_stop_signals, stop_signals

__all__ = [
    "check_before_start",
    "check_kafka",
    "check_python_packages",
    "configure_logging",
    "exit_with",
    "log_settings",
    "module_logger",
    "print_summary",
    "run_command",
    "spark_started",
]

log = logging.getLogger(__name__)


class Interrupted(JobError):
    """A command that does not watch its ``StopRequest`` was stopped by a signal."""

    exit_code = exit_codes.STOPPED


def run_command(command: Callable[[StopRequest], int], *, on_signal: str | None = None) -> int:
    """The exit code of ``command(stop)``, with stop signals handled and logging set up; a
    ``JobError`` is logged a line per line of its message and gives its own exit code.

    ``on_signal``: for a command that does not watch ``stop``, what a person should know when a
    signal interrupts it where it is (exit 3); without it the command watches ``stop`` itself."""
    with stop_signals() as stop:
        configure_logging()
        if on_signal:
            stop.on_request(lambda reason: _interrupt(reason, on_signal))
        try:
            return command(stop)
        except JobError as e:
            for line in str(e).splitlines():  # several bad settings: one line each
                log.error("%s", line)
            return e.exit_code


def _interrupt(reason: str, advice: str) -> None:
    raise Interrupted(f"stopped by {reason}: {advice} (exit code {exit_codes.STOPPED})")


def spark_started(spark, stop: StopRequest, locations: Mapping[str, str | None]) -> None:
    """Once the session is up: our SIGINT handler back (PySpark's SparkContext puts its own
    in, which cancels every Spark job at once), and a filesystem for each location."""
    handle_stop_signals(stop)
    check_filesystems(spark, locations)


def exit_with(exit_code: int) -> None:
    """The end of ``python -m jobs.X``: a late signal must not turn the exit into a kill."""
    ignore_stop_signals()
    sys.exit(exit_code)


def module_logger(name: str, file: str) -> logging.Logger:
    """An entry point's logger under its module's name (``jobs.stream``), also when Python runs
    it as ``__main__`` (``python -m jobs.stream``, ``spark-submit jobs/stream.py``), so log
    lines name the command as the docs do."""
    return logging.getLogger(name if name != "__main__" else _module_name(file))


def _module_name(file: str) -> str:
    """``/any/where/jobs/stream.py`` → ``jobs.stream``; ``…/jobs/demo/__main__.py`` →
    ``jobs.demo``."""
    parts = Path(file).with_suffix("").parts
    if "jobs" not in parts:
        return Path(file).stem
    start = len(parts) - 1 - parts[::-1].index("jobs")
    return ".".join(part for part in parts[start:] if part != "__main__")


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("jobs").setLevel(logging.INFO)
    for noisy in ("py4j", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("py4j.clientserver").addFilter(_without_job_errors)


def _without_job_errors(record: logging.LogRecord) -> bool:
    """py4j logs every exception of ``foreachBatch`` with its traceback; a ``JobError`` raised
    on purpose (a batch past --errors-tolerance) is logged by ``run_command`` in one line."""
    return not (record.exc_info and isinstance(record.exc_info[1], JobError))


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
