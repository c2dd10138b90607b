"""``--config FILE``: the same settings as the flags, in TOML or JSON, for every job.

Keys are the flag names without the dashes (``backup-path`` or ``backup_path``); flags given on
the command line win. A key no flag of the command has is refused with the nearest one.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

from jobs.core.errors import ConfigError
from jobs.core.suggest import did_you_mean

__all__ = ["add_config_flag", "parse_with_settings_file", "read_settings_file"]

CONFIG_HELP = "settings file (TOML or JSON): the flags' names as keys; flags given here win"


def add_config_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--config", metavar="FILE", help=CONFIG_HELP)


def read_settings_file(path: str, known: set[str]) -> dict[str, Any]:
    """The file's settings by ``dest`` (dashes as underscores); unknown keys refused."""
    file = Path(path)
    try:
        text = file.read_text()
        raw = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except OSError as e:
        raise ConfigError("--config", f"cannot read {path}: {e.strerror}") from None
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise ConfigError("--config", f"{path} is not valid TOML/JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError("--config", f"{path} must hold a table/object of settings")
    settings = {key.replace("-", "_"): value for key, value in raw.items()}
    unknown = sorted(set(settings) - known)
    if unknown:
        hints = [f"{k!r}{did_you_mean(k, known).replace('_', '-')}" for k in unknown]
        raise ConfigError("--config", f"unknown settings in {path}: {', '.join(hints)}")
    return settings


def parse_with_settings_file(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    """``parser.parse_args(argv)`` with the values of a ``--config`` file as the defaults of
    the command's flags (of its subcommand, when it has some)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    found, _ = pre.parse_known_args(argv)
    if found.config:
        target = _command_parser(parser, argv)
        actions = {
            name: a
            for a in target._actions
            if a.dest not in ("help", "config")
            for name in (a.dest, *(o.lstrip("-").replace("-", "_") for o in a.option_strings))
        }
        for name, value in read_settings_file(found.config, set(actions)).items():
            _set_default(actions[name], value)
    return parser.parse_args(argv)


def _command_parser(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.ArgumentParser:
    """The subcommand's parser when ``argv`` names one (``jobs.replay kafka``), else ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = [a for a in (argv or []) if a in action.choices]
            return action.choices[chosen[0]] if chosen else parser
    return parser


def _set_default(action: argparse.Action, value: Any) -> None:
    """A file value as the flag's default, in the form the flag would give it."""
    flag = action.option_strings[0] if action.option_strings else action.dest
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise ConfigError(flag, f"in the settings file must be true or false; got {value!r}")
    elif isinstance(action, argparse._AppendAction):
        value = [value] if isinstance(value, str) else [str(v) for v in value]
    elif isinstance(value, list):
        value = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value)
    elif isinstance(value, bool) or value is None:
        raise ConfigError(flag, f"in the settings file must be a value; got {value!r}")
    else:
        value = str(value)  # argparse converts string defaults with the flag's type
    action.default = value
    action.required = False
