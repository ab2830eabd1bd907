"""`make docs` builds: every diagram, an API reference naming every operation of the OpenAPI document, and one Word
document that holds every route and every metric."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from application.ports.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops" / "docs"))

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    import build

    out = tmp_path_factory.mktemp("docs")
    return out, build.build(out)


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_every_diagram_is_drawn(built: tuple[Path, dict[str, Any]]) -> None:
    _, result = built
    assert set(result["diagrams"]) == {"system", "modules", "data_flow", "jobs", "events", "security", "deployment"}
    for formats in result["diagrams"].values():
        assert formats["png"].stat().st_size > 5_000 and formats["png"].read_bytes()[:4] == b"\x89PNG"
        assert b"<svg" in formats["svg"].read_bytes()[:2000]


def test_the_module_graph_follows_the_layers(built: tuple[Path, dict[str, Any]]) -> None:
    order = ["entrypoints", "adapters", "application", "domain"]
    edges = built[1]["module_edges"]
    assert ("entrypoints.http", "application.use_cases") in edges
    for a, b in edges:
        assert order.index(a.split(".")[0]) <= order.index(b.split(".")[0]), f"{a} -> {b} climbs a layer"


def test_the_api_reference_and_the_word_document_hold_every_route_and_metric(
    built: tuple[Path, dict[str, Any]],
) -> None:
    out, result = built
    reference = (out / "api-reference.md").read_text()
    text = docx_text(result["docx"])
    operations = [
        f"{method.upper()} {path}"
        for path, methods in result["openapi"]["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 50
    missing_md = [op for op in operations if f"`{op}`" not in reference]
    missing_docx = [op for op in operations if op not in text]
    assert missing_md == [] and missing_docx == []
    assert [m.name for m in CATALOGUE if m.name not in text] == []
    for heading in ("Introduction", "Architecture", "Deployment", "Operator runbook", "Metrics", "API reference"):
        assert heading in text
    assert "validation_failed" in text and "rate_limited" in text  # the error codes
