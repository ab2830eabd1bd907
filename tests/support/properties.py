"""The plan's 90 correctness properties as the tests see them: the `property(n)` marker's rules, the Hypothesis
profiles' names, and the table in docs/properties.md that says which tests check which property."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "properties.md"
PROPERTY_COUNT = 90
THOROUGH_EXAMPLES = 1000
# `make properties` keeps what Hypothesis learns (the failing and the interesting examples) here between runs.
THOROUGH_DATABASE = ROOT / ".hypothesis" / "examples"
SUPPRESSED = [HealthCheck.function_scoped_fixture]


def profile() -> str:
    """The Hypothesis profile this run uses: `ci` (make test) unless HYPOTHESIS_PROFILE says otherwise."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci")


def register_profiles() -> None:
    # ci: what `make test` runs; 100 examples is what every property test ran before the profiles had names, and
    # tests that ask for fewer (a costly end-to-end property) keep asking for fewer.
    settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=SUPPRESSED)
    # thorough: `make properties` - 1,000 examples for every property-marked test (whatever the test asks for), no
    # deadline on a busy machine, and the example database kept in .hypothesis/ so a failure found once is replayed.
    settings.register_profile(
        "thorough",
        max_examples=THOROUGH_EXAMPLES,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(THOROUGH_DATABASE)),
        suppress_health_check=[*SUPPRESSED, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def for_profile(explicit: settings) -> settings:
    """Settings a property test passes explicitly (e.g. to `run_state_machine_as_test`), raised to the thorough
    profile's example count when `make properties` runs; unchanged under `ci`."""
    if profile() != "thorough":
        return explicit
    thorough = settings.get_profile("thorough")
    return settings(
        explicit,
        max_examples=THOROUGH_EXAMPLES,
        deadline=None,
        database=thorough.database,
        suppress_health_check=sorted(
            set(explicit.suppress_health_check) | set(thorough.suppress_health_check), key=lambda h: h.value
        ),
    )


def marker_numbers(args: tuple[object, ...], where: str) -> list[int]:
    """The property numbers a `@pytest.mark.property(...)` names; a clear error for anything else."""
    if not args:
        raise ValueError(f"{where}: @pytest.mark.property needs the property number(s) it checks, e.g. property(45)")
    numbers: list[int] = []
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, int) or not 1 <= arg <= PROPERTY_COUNT:
            raise ValueError(
                f"{where}: @pytest.mark.property takes property numbers 1-{PROPERTY_COUNT} of "
                f"../shared/spec/implementation-plan.md, got {arg!r}"
            )
        numbers.append(arg)
    return numbers


def base_id(nodeid: str) -> str:
    """A test's id without its parametrization: `tests/x.py::test_y[case]` -> `tests/x.py::test_y`."""
    return re.sub(r"\[.*\]$", "", nodeid)


@dataclass
class Row:
    number: int
    statement: str
    validates: str
    tests: list[str] = field(default_factory=list)
    reason: str = ""


ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|\s*$")
TEST_ID = re.compile(r"`(tests/[^`]+::[^`]+)`")
REASONS = ("not applicable because", "not built yet:")


def read_table(text: str) -> tuple[dict[int, Row], list[str]]:
    """The property table of docs/properties.md, and what is wrong with it (numbers missing or repeated, rows with
    neither a test nor a reason)."""
    rows: dict[int, Row] = {}
    problems: list[str] = []
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if not match:
            continue
        number = int(match.group(1))
        cells = [cell.strip() for cell in match.group(2).split("|")]
        if len(cells) != 3:
            problems.append(f"property {number}: expected 4 columns (#, property, validates, checked by)")
            continue
        statement, validates, checked = cells
        if number in rows:
            problems.append(f"property {number} appears more than once")
            continue
        tests = TEST_ID.findall(checked)
        reason = checked if not tests else ""
        if not tests and not checked.lower().startswith(REASONS):
            problems.append(
                f"property {number}: neither a test (`tests/...::test_name`) nor a reason starting with "
                f"{' or '.join(repr(r) for r in REASONS)}"
            )
        rows[number] = Row(number, statement, validates, tests, reason)
    for number in range(1, PROPERTY_COUNT + 1):
        if number not in rows:
            problems.append(f"property {number} is missing from the table")
    problems += [f"property {n} is not one of the plan's 1-{PROPERTY_COUNT}" for n in rows if n > PROPERTY_COUNT]
    return rows, problems
