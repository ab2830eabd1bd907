"""docs/properties.md cannot drift from the code: all 90 properties are there once, with tests or a reason; every
listed test is collected and carries @pytest.mark.property with that number; every marked test is listed under each
number it names. The suite is collected for real (in a subprocess, as pytest sees it), not read from the source."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.properties import PROPERTY_COUNT, ROOT, TABLE, read_table

# Collecting the whole suite imports every test module: minutes on a fully busy 2-core machine.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    out = tmp_path_factory.mktemp("properties") / "marked.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "tests.support.property_collect",
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        cwd=ROOT,
        env={**os.environ, "MAILAGENT_PROPERTY_COLLECT": str(out)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"collecting the suite failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return dict(json.loads(out.read_text()))


def test_every_property_is_in_the_table_once_with_tests_or_a_reason() -> None:
    rows, problems = read_table(TABLE.read_text())
    assert problems == [], "docs/properties.md:\n" + "\n".join(problems)
    assert sorted(rows) == list(range(1, PROPERTY_COUNT + 1))


def test_the_table_and_the_markers_agree(marked: dict[str, list[int]]) -> None:
    rows, _ = read_table(TABLE.read_text())
    problems: list[str] = []
    for number, row in sorted(rows.items()):
        for test in row.tests:
            if test not in marked:
                problems.append(
                    f"property {number}: `{test}` is listed but no such test carries @pytest.mark.property "
                    "(renamed, removed, or not marked?)"
                )
            elif number not in marked[test]:
                problems.append(f"property {number}: `{test}` is listed but marked only {marked[test]}")
    for test, numbers in sorted(marked.items()):
        for number in numbers:
            if number in rows and test not in rows[number].tests:
                problems.append(
                    f"`{test}` is marked @pytest.mark.property({number}) but not listed in row {number} of "
                    "docs/properties.md: add it there"
                )
    assert problems == [], "\n".join(problems)


def test_the_check_sees_a_drift() -> None:
    """The table reader itself: a missing, a repeated and an empty row are each reported."""
    text = TABLE.read_text()
    broken = "\n".join(
        line.replace("| 7 |", "| 8 |") if line.startswith("| 7 |") else line
        for line in text.splitlines()
        if not line.startswith("| 90 |")
    )
    _, problems = read_table(broken + "\n| 12 | x | y | nothing here |\n")
    assert any("property 90 is missing" in p for p in problems)
    assert any("property 8 appears more than once" in p for p in problems)
    assert any("property 7 is missing" in p for p in problems)
    assert any("property 12 appears more than once" in p for p in problems)
    _, problems = read_table("| 5 | statement | 2.5 | tested somewhere |\n")
    assert any("property 5: neither a test" in p for p in problems)
