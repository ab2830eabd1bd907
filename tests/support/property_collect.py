"""A pytest plugin for the drift check: after collection, writes every property-marked test (its id without
parametrization) and the property numbers it names to the JSON file MAILAGENT_PROPERTY_COLLECT names.

    pytest --collect-only -q -p tests.support.property_collect tests
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.properties import base_id, marker_numbers


def pytest_collection_finish(session: pytest.Session) -> None:
    marked: dict[str, set[int]] = {}
    for item in session.items:
        for mark in item.iter_markers("property"):
            marked.setdefault(base_id(item.nodeid), set()).update(marker_numbers(mark.args, item.nodeid))
    out = os.environ.get("MAILAGENT_PROPERTY_COLLECT")
    if out:
        Path(out).write_text(json.dumps({test: sorted(numbers) for test, numbers in sorted(marked.items())}, indent=1))
