"""The README's promises stay true: its first commands, every setting documented, CI running the same command."""

from __future__ import annotations

import re
from pathlib import Path

from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    commands = re.findall(r"^(make \w+)", README.split("```", 2)[1], flags=re.M)
    assert commands == ["make run", "make test"]


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [
        f"MAILAGENT_{name.upper()}" for name in Settings.model_fields if f"`MAILAGENT_{name.upper()}`" not in README
    ]
    assert missing == [], f"document these settings in README.md: {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)
