"""docs/metrics.md documents exactly the metrics the code declares."""

from __future__ import annotations

import re
from pathlib import Path

from application.ports.metrics import CATALOGUE

DOC = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()


def test_every_metric_is_documented_with_its_labels() -> None:
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(mailagent_\w+)` \|.*$", DOC, flags=re.M)}
    assert sorted(rows) == sorted(spec.name for spec in CATALOGUE)
    for spec in CATALOGUE:
        for label in spec.labels:
            assert f"`{label}`" in rows[spec.name], f"{spec.name}: document the label {label}"
