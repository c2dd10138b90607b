"""launch.run_command: stop signals handled from its first line, for every command."""

from __future__ import annotations

import os
import signal

from jobs import launch
from jobs.core import exit_codes
from jobs.core.errors import ConfigError


def test_a_signal_interrupts_a_command_that_does_not_watch_for_it(caplog):
    def command(stop) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        return exit_codes.FINISHED  # never reached: the handler raises first

    code = launch.run_command(command, on_signal="run it again")

    assert code == exit_codes.STOPPED
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == ["stopped by SIGTERM: run it again (exit code 3)"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the previous handler is back"


def test_a_command_that_watches_its_stop_request_sees_the_signal():
    seen = []

    def command(stop) -> int:
        os.kill(os.getpid(), signal.SIGINT)
        seen.append((stop.reason, stop.by_signal))
        return exit_codes.STOPPED

    assert launch.run_command(command) == exit_codes.STOPPED
    assert seen == [("SIGINT", True)]


def test_bad_settings_are_exit_2():
    def command(stop) -> int:
        raise ConfigError("--name", "bad")

    assert launch.run_command(command) == exit_codes.BAD_SETTINGS
