"""Every command's --help: defaults, units, an example, the settings file and the exit codes."""

from __future__ import annotations

import pytest

from jobs.config.audit import build_parser as audit_parser
from jobs.config.maintain import build_parser as maintain_parser
from jobs.config.replay import build_parser as replay_parser
from jobs.config.stream_cli import build_parser as stream_parser


def helps() -> dict[str, str]:
    replay = replay_parser()
    modes = next(a for a in replay._actions if a.choices and "kafka" in a.choices).choices
    texts = {"stream": stream_parser().format_help(), "replay": replay.format_help()}
    texts |= {f"replay {name}": parser.format_help() for name, parser in modes.items()}
    return texts | {
        "audit": audit_parser().format_help(),
        "maintain": maintain_parser().format_help(),
    }


@pytest.mark.parametrize("command", sorted(helps()))
def test_help_shows_an_example_the_settings_file_and_every_exit_code(command):
    text = helps()[command]
    assert "example" in text and "--config" in text and "exit codes: 0" in text
    assert all(f"· {code} " in text.replace("\n", " ") for code in (1, 2, 3))


@pytest.mark.parametrize("command", ["stream", "replay kafka", "maintain"])
def test_help_gives_defaults_with_units(command):
    text = " ".join(helps()[command].split())
    assert "default 30s" in text or "default 10m" in text
