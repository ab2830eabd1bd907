"""A pytest plugin for `make properties`: per property of the plan, the examples Hypothesis ran, the result and the
time, as a Markdown table at the end of the run (also written to var/properties-report.md).

A test that checks several properties counts under each of them. Examples are the generated and replayed test cases
Hypothesis ran to completion (shrinking not counted); a property test that is not a Hypothesis test shows "-".
The same per test goes to var/properties-report.json (property numbers, examples, seconds, result).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.properties import PROPERTY_COUNT, ROOT, TABLE, marker_numbers, profile, read_table


@dataclass
class Outcome:
    numbers: list[int]
    examples: int | None = None
    seconds: float = 0.0
    result: str = "not run"


@dataclass(eq=False)  # a pytest plugin object must be hashable
class Report:
    tests: dict[str, Outcome] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        from hypothesis.statistics import collector

        outcome = self.tests.get(item.nodeid)
        if outcome is None:
            yield
            return
        outer: Callable[[Any], None] | None = collector.value

        def note(stats: Any) -> None:
            cases = [
                case
                for phase in ("explicit-phase", "reuse-phase", "generate-phase")
                for case in stats.get(phase, {}).get("test-cases", [])
            ]
            ran = sum(1 for case in cases if case["status"] in ("valid", "interesting"))
            outcome.examples = (outcome.examples or 0) + ran
            if outer is not None:
                outer(stats)

        with collector.with_value(note):
            yield

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            numbers = [n for mark in item.iter_markers("property") for n in marker_numbers(mark.args, item.nodeid)]
            if numbers:
                self.tests[item.nodeid] = Outcome(sorted(set(numbers)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = self.tests.get(report.nodeid)
        if outcome is None:
            return
        outcome.seconds += report.duration
        if report.failed:
            outcome.result = "FAILED" if report.when == "call" else f"ERROR ({report.when})"
        elif report.skipped and outcome.result == "not run":
            outcome.result = "skipped"
        elif report.when == "call" and report.passed and outcome.result == "not run":
            outcome.result = "passed"
        if report.when == "teardown":  # the table so far, so a run cut short still leaves its part
            self.write()

    def write(self) -> Path:
        out = ROOT / "var" / "properties-report.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(self.table() + "\n")
        # Per test as well, so runs of different parts (or at different commits) can be put together per property.
        per_test = {nodeid: asdict(outcome) for nodeid, outcome in self.tests.items()}
        out.with_suffix(".json").write_text(json.dumps(per_test, indent=1) + "\n")
        return out

    def table(self) -> str:
        rows, _ = read_table(TABLE.read_text()) if TABLE.exists() else ({}, [])
        by_property: dict[int, list[tuple[str, Outcome]]] = {}
        for nodeid, outcome in self.tests.items():
            for number in outcome.numbers:
                by_property.setdefault(number, []).append((nodeid, outcome))
        lines = [
            f"Hypothesis profile `{profile()}`, {len(self.tests)} property tests, "
            f"{time.monotonic() - self.started:.0f} s wall clock"
            f" ({sum(1 for o in self.tests.values() if o.result != 'not run')} run so far).",
            "",
            "| Property | Tests | Examples run | Result | Time (s) |",
            "|---:|---:|---:|---|---:|",
        ]
        for number in range(1, PROPERTY_COUNT + 1):
            ran = by_property.get(number, [])
            if not ran:
                row = rows.get(number)
                why = (row.reason[:70] + "...") if row and len(row.reason) > 70 else (row.reason if row else "")
                lines.append(f"| {number} | 0 | - | {why or 'no test collected'} | - |")
                continue
            counted = [o.examples for _, o in ran if o.examples is not None]
            examples = f"{sum(counted)}" if counted else "-"
            if len(counted) < len(ran) and counted:
                examples += f" (+{len(ran) - len(counted)} not Hypothesis)"
            results = [o.result for _, o in ran]
            worst = ("FAILED", "ERROR (setup)", "ERROR (teardown)", "skipped")
            result = next((r for r in worst if r in results), "passed")
            pending = results.count("not run")
            if pending == len(results):
                result = "not run"
            elif pending:
                result += f" ({len(results) - pending} of {len(results)} run)"
            seconds = sum(o.seconds for _, o in ran)
            lines.append(f"| {number} | {len(ran)} | {examples} | {result} | {seconds:.1f} |")
        return "\n".join(lines)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        text = self.table()
        terminalreporter.section("correctness properties")
        terminalreporter.write_line(text)
        out = self.write()
        terminalreporter.write_line(f"(written to {out.relative_to(ROOT)})")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Report(), "mailagent-property-report")
