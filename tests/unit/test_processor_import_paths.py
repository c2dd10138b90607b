"""``--processor`` takes an import path only: file paths are refused before anything runs."""

from __future__ import annotations

import pytest

from jobs.core.errors import ConfigError
from jobs.core.processor import load_processor

EVIL = """\
from pathlib import Path
Path({marker!r}).write_text("ran")
"""


@pytest.mark.parametrize(
    "template",
    ["{name}.py:run", "./{name}:run", "../{name}:run", "{folder}/{name}:run", "{name}:run()"],
)
def test_a_path_like_processor_is_refused_and_never_imported(make_module, tmp_path, template):
    marker = tmp_path / "imported"
    name = make_module(EVIL.format(marker=str(marker)))
    path = template.format(name=name, folder=tmp_path / "modules")

    with pytest.raises(ConfigError) as caught:
        load_processor(path)

    assert caught.value.setting == "--processor" and caught.value.exit_code == 2
    assert "import path" in str(caught.value) and "never a file path" in str(caught.value)
    assert not marker.exists(), f"{path!r} ran the module"


def test_a_plain_import_path_still_loads():
    assert load_processor("jobs.processors.builtin:passthrough").path.endswith(":passthrough")
