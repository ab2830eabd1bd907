"""`make docs`: the architecture documents, generated from the code.

Writes into OUT (default docs/build/):
  diagrams/*.svg|png  system, data flow, security, deployment (from the rendered eks overlay), module graph (from
                      the real imports and importlinter.ini's layers), job and event flows (from the job registry's
                      periodic jobs and the domain's event types)
  api-reference.md    every operation of the OpenAPI document with parameters, an example body and its statuses,
                      plus the error codes
  metrics.md          copy of docs/metrics.md (generated catalogue), runbook.md copy
  mailagent.docx      one Word document combining them with an introduction and deployment instructions
Run: .venv/bin/python ops/docs/build.py [--out DIR]
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import graphviz  # noqa: E402
import yaml  # noqa: E402
from docx import Document  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.shared import Cm, Pt, RGBColor  # noqa: E402

FONT = "DejaVu Sans"
EDGE = {"fontname": FONT, "fontsize": "9"}
NODE = {"fontname": FONT, "fontsize": "10", "shape": "box", "style": "rounded,filled", "fillcolor": "#eef3fb"}


# --- diagrams ----------------------------------------------------------------------------------------------------


def _graph(name: str, label: str, direction: str = "LR") -> graphviz.Digraph:
    g = graphviz.Digraph(name, format="svg")
    g.attr(rankdir=direction, label=label, labelloc="t", fontname=FONT, fontsize="14", compound="true")
    g.attr("node", **NODE)
    g.attr("edge", **EDGE)
    return g


def system_diagram() -> graphviz.Digraph:
    g = _graph("system", "mailagent: the system and what it talks to")
    with g.subgraph(name="cluster_clients") as c:
        c.attr(label="people and programs", style="dashed")
        for n in ("web app (browser)", "CLI", "REST clients", "MCP clients", "Slack"):
            c.node(n)
    with g.subgraph(name="cluster_app") as c:
        c.attr(label="mailagent (one image)", style="rounded")
        c.node("API replicas\nFastAPI - REST, WebSocket, /metrics")
        c.node("workers\nRQ + scheduler")
    with g.subgraph(name="cluster_data") as c:
        c.attr(label="state", style="dashed")
        for n in (
            "PostgreSQL",
            "Redis\nqueues, cache, pub/sub",
            "S3\nattachments (24 h)",
            "Secrets Manager\nOAuth tokens",
        ):
            c.node(n, shape="cylinder")
    for n in ("Google APIs\nGmail, Calendar, People", "LLM provider", "Cognito", "SMTP relay", "ClamAV"):
        g.node(n, fillcolor="#fdf1e6")
    api, worker = "API replicas\nFastAPI - REST, WebSocket, /metrics", "workers\nRQ + scheduler"
    for n in ("web app (browser)", "CLI", "REST clients", "MCP clients", "Slack"):
        g.edge(n, api)
    for target in (
        "PostgreSQL",
        "Redis\nqueues, cache, pub/sub",
        "S3\nattachments (24 h)",
        "Secrets Manager\nOAuth tokens",
    ):
        g.edge(api, target)
        g.edge(worker, target)
    g.edge(api, "Cognito", label="sign-in (optional)")
    g.edge(api, "ClamAV", label="scan uploads")
    g.edge(worker, "Google APIs\nGmail, Calendar, People", label="sync, send")
    g.edge(api, "Google APIs\nGmail, Calendar, People", label="read, send")
    g.edge(api, "LLM provider", label="agent turns")
    g.edge(worker, "SMTP relay", label="system mail")
    return g


def data_flow_diagram() -> graphviz.Digraph:
    g = _graph("data_flow", "Data flow: a send, a scheduled send and a live event")
    steps = [
        ("client", "POST /emails/send\nor /emails/schedule"),
        ("POST /emails/send\nor /emails/schedule", "use case\n(one unit of work)"),
        ("use case\n(one unit of work)", "PostgreSQL\nrows + outbox (same commit)"),
        ("PostgreSQL\nrows + outbox (same commit)", "outbox relay"),
        ("outbox relay", "job queue (Redis/RQ)"),
        ("outbox relay", "event bus (Redis pub/sub)"),
        ("job queue (Redis/RQ)", "worker - scheduled.send\n(lease, Sent-folder check)"),
        ("worker - scheduled.send\n(lease, Sent-folder check)", "mailbox provider\n(Gmail / demo)"),
        ("worker - scheduled.send\n(lease, Sent-folder check)", "PostgreSQL\nrows + outbox (same commit)"),
        ("event bus (Redis pub/sub)", "every API replica's\nWebSocket hub"),
        ("every API replica's\nWebSocket hub", "browser / CLI\n(replay from last_event_id)"),
    ]
    for a, b in steps:
        g.edge(a, b)
    return g


def security_diagram() -> graphviz.Digraph:
    g = _graph("security", "Trust boundaries and where encryption happens")
    with g.subgraph(name="cluster_internet") as c:
        c.attr(label="internet (untrusted)", style="dashed", color="#c0392b")
        c.node("browser / API client")
        c.node("mail content\n(untrusted input to the agent)")
    with g.subgraph(name="cluster_edge") as c:
        c.attr(label="edge", color="#e67e22")
        c.node("ALB / nginx\nTLS 1.2+ (ACM certificate)")
    with g.subgraph(name="cluster_cluster") as c:
        c.attr(label="cluster (NetworkPolicy: default deny)", color="#2980b9")
        c.node("API pods\nauth - JWT / API key scopes\nrate limits, redaction")
        c.node("worker pods")
        c.node("action gate\n(approval snapshots)")
    with g.subgraph(name="cluster_aws") as c:
        c.attr(label="AWS managed (IAM roles per service account)", color="#27ae60")
        c.node("RDS PostgreSQL\nencrypted at rest, TLS", shape="cylinder")
        c.node("ElastiCache Redis\nTLS + AUTH, encrypted", shape="cylinder")
        c.node("S3\nSSE, public access blocked, TLS only", shape="cylinder")
        c.node("Secrets Manager\nKMS-encrypted tokens", shape="cylinder")
    g.edge("browser / API client", "ALB / nginx\nTLS 1.2+ (ACM certificate)", label="HTTPS / WSS")
    g.edge("ALB / nginx\nTLS 1.2+ (ACM certificate)", "API pods\nauth - JWT / API key scopes\nrate limits, redaction")
    g.edge("mail content\n(untrusted input to the agent)", "action gate\n(approval snapshots)", label="tool calls")
    g.edge("API pods\nauth - JWT / API key scopes\nrate limits, redaction", "action gate\n(approval snapshots)")
    for target in (
        "RDS PostgreSQL\nencrypted at rest, TLS",
        "ElastiCache Redis\nTLS + AUTH, encrypted",
        "S3\nSSE, public access blocked, TLS only",
        "Secrets Manager\nKMS-encrypted tokens",
    ):
        g.edge("API pods\nauth - JWT / API key scopes\nrate limits, redaction", target)
        g.edge("worker pods", target)
    return g


def deployment_diagram(manifests: list[dict[str, Any]]) -> graphviz.Digraph:
    g = _graph("deployment", "Deployment on EKS (rendered from ops/k8s/overlays/eks)", "TB")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for doc in manifests:
        by_kind[doc["kind"]].append(doc["metadata"]["name"])
    with g.subgraph(name="cluster_ns") as c:
        c.attr(label="namespace mailagent", style="rounded")
        for kind, names in sorted(by_kind.items()):
            if kind == "Namespace":
                continue
            for name in names:
                c.node(f"{kind}/{name}", f"{kind}\n{name}")
    for doc in manifests:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Ingress":
            for rule in doc["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    g.edge(f"{kind}/{name}", f"Service/{path['backend']['service']['name']}")
        if kind == "Service":
            component = doc["spec"]["selector"].get("app.kubernetes.io/component")
            g.edge(f"{kind}/{name}", f"Deployment/mailagent-{component}")
        if kind == "HorizontalPodAutoscaler":
            g.edge(f"{kind}/{name}", f"Deployment/{doc['spec']['scaleTargetRef']['name']}", style="dashed")
        if kind == "ExternalSecret":
            g.edge(f"{kind}/{name}", f"SecretStore/{doc['spec']['secretStoreRef']['name']}", style="dashed")
        if kind in ("Deployment", "Job"):
            spec = doc["spec"]["template"]["spec"]
            g.edge(f"{kind}/{name}", f"ServiceAccount/{spec['serviceAccountName']}", style="dotted")
            g.edge(f"{kind}/{name}", "ConfigMap/mailagent-config", style="dotted")
    g.node("AWS - RDS, ElastiCache, S3,\nSecrets Manager, Cognito, ACM", fillcolor="#e8f6ec")
    g.edge(
        "ExternalSecret/mailagent-secrets", "AWS - RDS, ElastiCache, S3,\nSecrets Manager, Cognito, ACM", label="IRSA"
    )
    return g


def module_graph() -> tuple[graphviz.Digraph, list[tuple[str, str]]]:
    """Packages and the imports between them (grimp, the library import-linter uses), layered as in
    importlinter.ini; returns the graph and its edges."""
    import grimp

    ini = configparser.ConfigParser()
    ini.read(ROOT / "importlinter.ini")
    layers = [line.strip() for line in ini["importlinter:contract:layers"]["layers"].splitlines() if line.strip()]
    graph = grimp.build_graph(*layers)

    def group(module: str) -> str:
        parts = module.split(".")
        return (
            ".".join(parts[:2])
            if parts[0] in ("adapters", "entrypoints", "application") and len(parts) > 1
            else parts[0]
        )

    edges: set[tuple[str, str]] = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = group(module), group(imported)
            if a != b and b.split(".")[0] in layers:
                edges.add((a, b))
    g = _graph("modules", "Module graph (real imports; layers from importlinter.ini: " + " > ".join(layers) + ")", "LR")
    g.attr(ranksep="1.2", nodesep="0.08", concentrate="true")
    colors = {"entrypoints": "#fdf1e6", "adapters": "#eef3fb", "application": "#e8f6ec", "domain": "#f6e8f3"}
    nodes = sorted({n for e in edges for n in e})
    for layer in layers:
        with g.subgraph(name=f"cluster_{layer}") as c:
            c.attr(label=layer, style="rounded")
            for n in nodes:
                if n.split(".")[0] == layer:
                    c.node(n, fillcolor=colors[layer])
    for a, b in sorted(edges):
        g.edge(a, b)
    return g, sorted(edges)


def job_flow_diagram() -> graphviz.Digraph:
    from entrypoints.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.worker.jobs import periodic_jobs

    with tempfile.TemporaryDirectory() as tmp:
        container = build_container(Settings(_env_file=None, data_dir=Path(tmp)))  # type: ignore[call-arg]
        registry = container.job_registry()
        periodic = {job.name: job.every_seconds() for job in periodic_jobs(container)}
        jobs = list(registry)
    g = _graph("jobs", "Background jobs (from the job registry) and who enqueues them")
    g.node("ticker\n(every worker; one enqueue per interval)", fillcolor="#fdf1e6")
    g.node("use cases\n(after commit, via the outbox)", fillcolor="#fdf1e6")
    for name in jobs:
        g.node(name, shape="component")
        if name in periodic:
            g.edge("ticker\n(every worker; one enqueue per interval)", name, label=f"every {periodic[name]:g} s")
        else:
            g.edge("use cases\n(after commit, via the outbox)", name)
    return g


def event_flow_diagram() -> graphviz.Digraph:
    from domain.events import EventType

    g = _graph("events", "Live events (domain.events.EventType) from where they happen to the clients")
    g.node("outbox (same transaction)", shape="cylinder")
    g.node("event bus\n(Redis pub/sub across replicas)")
    g.node("WebSocket /api/v1/ws\nreplay from last_event_id")
    for event in EventType:
        g.node(event.value, shape="note", fillcolor="#fffbe6")
        g.edge(event.value, "outbox (same transaction)")
    g.edge("outbox (same transaction)", "event bus\n(Redis pub/sub across replicas)", label="relay after commit")
    g.edge("event bus\n(Redis pub/sub across replicas)", "WebSocket /api/v1/ws\nreplay from last_event_id")
    return g


def render(graph: graphviz.Digraph, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in ("svg", "png"):
        graph.format = fmt
        if fmt == "png":
            graph.attr(dpi="150")
        paths[fmt] = Path(graph.render(filename=graph.name, directory=out, cleanup=True))
    return paths


# --- API reference -----------------------------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    from entrypoints.container import build_container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), jwt_secret="docs-" + "x" * 40)  # type: ignore[call-arg]
        document: dict[str, Any] = create_app(build_container(settings)).openapi()
    return document


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def example_for(doc: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    schema = _resolve(doc, schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(doc, s).get("type") != "null"]
            return example_for(doc, options[0], depth) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        chosen = [k for k in props if k in required]
        chosen += [k for k in props if k not in required][: max(0, 5 - len(chosen))]
        return {k: example_for(doc, props[k], depth + 1) for k in chosen}
    if kind == "array":
        return [example_for(doc, schema.get("items", {}), depth + 1)]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format", "")
        return {
            "email": "you@example.com",
            "date-time": "2026-12-01T09:00:00+01:00",
            "uri": "https://example.com",
            "password": "Correct-horse 42 battery",
        }.get(fmt, schema.get("title", "text").lower().replace(" ", "_"))
    return None


def api_reference(doc: dict[str, Any]) -> str:
    from domain import errors
    from entrypoints.http.errors import HTTP_CODES, STATUS_BY_ERROR

    lines = [
        "# API reference",
        "",
        f"Generated from the OpenAPI document of mailagent {doc['info']['version']} (`GET /openapi.json`). Every JSON "
        'answer uses one envelope: `{"data": ..., "error": null, "meta": {"request_id": ...}}`, and on failure '
        '`{"data": null, "error": {"code", "message", "details"}, "meta": ...}`. Credentials: '
        "`Authorization: Bearer <access token or API key>` or `X-API-Key`.",
        "",
        "## Error codes",
        "",
        "| status | code | when |",
        "|---|---|---|",
    ]
    for exc, status in STATUS_BY_ERROR:
        code = getattr(exc, "code", HTTP_CODES.get(status, "error"))
        doc_line = (exc.__doc__ or exc.__name__).strip().splitlines()[0]
        lines.append(f"| {status} | `{code}` | {exc.__name__}: {doc_line} |")
    for status, code in sorted(HTTP_CODES.items()):
        if status not in {s for _, s in STATUS_BY_ERROR}:
            lines.append(f"| {status} | `{code}` | returned by the framework (e.g. {code.replace('_', ' ')}) |")
    lines += ["| 500 | `internal_error` | unexpected; the message quotes the request id |", ""]
    assert errors.DomainError.code  # the codes above come from domain/errors.py
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                by_tag[(op.get("tags") or ["other"])[0]].append((method.upper(), path, op))
    for tag in sorted(by_tag):
        lines += [f"## {tag}", ""]
        for method, path, op in by_tag[tag]:
            lines += [f"### `{method} {path}`", ""]
            summary = (op.get("description") or op.get("summary") or "").strip()
            if summary:
                lines += [summary, ""]
            params = op.get("parameters", [])
            if params:
                lines += ["| parameter | in | required | type |", "|---|---|---|---|"]
                for p in params:
                    schema = _resolve(doc, p.get("schema", {}))
                    kind = schema.get("type") or "/".join(
                        _resolve(doc, s).get("type", "?") for s in schema.get("anyOf", [])
                    )
                    lines.append(f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | {kind} |")
                lines.append("")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                example = example_for(doc, body["schema"])
                lines += ["Example request body:", "", "```json", json.dumps(example, indent=2), "```", ""]
            statuses = ", ".join(
                f"{code} {resp.get('description', '')}".strip()
                for code, resp in sorted(op.get("responses", {}).items())
            )
            lines += [f"Answers: {statuses}.", ""]
    return "\n".join(lines)


# --- the Word document -------------------------------------------------------------------------------------------


def _inline(paragraph: Any, text: str) -> None:
    """`code` and **bold** inside a line; links keep their text."""
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    for part in re.split(r"(`[^`]+`|\*\*[^*]+\*\*)", text):
        if not part:
            continue
        if part.startswith("`") and part.endswith("`"):
            run = paragraph.add_run(part[1:-1])
            run.font.name = "DejaVu Sans Mono"
            run.font.size = Pt(8.5)
            run.font.color.rgb = RGBColor(0x33, 0x33, 0x66)
        elif part.startswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        else:
            paragraph.add_run(part)


def add_markdown(document: Any, markdown: str, *, shift: int = 0) -> None:
    """The Markdown our docs use: headings, paragraphs, lists, tables, code blocks."""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(lines[i])
                i += 1
            p = document.add_paragraph(style="No Spacing")
            run = p.add_run("\n".join(block))
            run.font.name = "DejaVu Sans Mono"
            run.font.size = Pt(7.5)
            p.paragraph_format.left_indent = Cm(0.5)
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            level = min(len(heading.group(1)) + shift, 4)
            document.add_heading(heading.group(2).replace("`", ""), level=level)
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1].strip()):
            rows = [line]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            cells = [[c.strip() for c in re.split(r"(?<!\\)\|", r.strip())[1:-1]] for r in rows]
            width = max(len(r) for r in cells)
            table = document.add_table(rows=len(cells), cols=width)
            table.style = "Light Grid Accent 1"
            for r, row in enumerate(cells):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.paragraphs[0].text = ""
                    _inline(cell.paragraphs[0], value.replace("\\|", "|"))
                    for run in cell.paragraphs[0].runs:
                        run.font.size = Pt(7.5)
                        run.bold = run.bold or r == 0
            document.add_paragraph()
            continue
        elif re.match(r"^\s*([-*]|\d+\.) ", line):
            numbered = bool(re.match(r"^\s*\d+\. ", line))
            text = re.sub(r"^\s*([-*]|\d+\.) ", "", line)
            while (
                i + 1 < len(lines)
                and re.match(r"^\s{2,}\S", lines[i + 1])
                and not re.match(r"^\s*([-*]|\d+\.) ", lines[i + 1])
            ):
                i += 1
                text += " " + lines[i].strip()
            p = document.add_paragraph(style="List Number" if numbered else "List Bullet")
            _inline(p, text)
        elif line.strip() and not line.startswith(">"):
            text = line.strip()
            while (
                i + 1 < len(lines)
                and lines[i + 1].strip()
                and not re.match(r"^(#|\||```|\s*[-*] |\s*\d+\. )", lines[i + 1])
            ):
                i += 1
                text += " " + lines[i].strip()
            _inline(document.add_paragraph(), text)
        i += 1


def word_document(out: Path, parts: dict[str, str], diagrams: dict[str, dict[str, Path]], version: str) -> Path:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(9.5)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2)
    title = document.add_heading("mailagent — architecture and operations", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = document.add_paragraph(f"Version {version}. Generated by `make docs` from the code (ops/docs/build.py).")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("1 Introduction", level=1)
    add_markdown(document, parts["introduction"], shift=1)
    document.add_heading("2 Architecture", level=1)
    captions = {
        "system": "The system and what it talks to.",
        "modules": "Module graph: the real imports between packages; arrows point from importer to imported.",
        "data_flow": "Data flow of a send, a scheduled send and a live event.",
        "jobs": "Background jobs and who enqueues them.",
        "events": "Live events from where they happen to the clients.",
        "security": "Trust boundaries and where encryption happens.",
        "deployment": "The Kubernetes objects of the EKS overlay and how they refer to each other.",
    }
    for name, caption in captions.items():
        document.add_heading(caption.split(":")[0].rstrip("."), level=2)
        document.add_picture(str(diagrams[name]["png"]), width=Cm(17))
        document.add_paragraph(caption).runs[0].italic = True
    add_markdown(document, parts["architecture"], shift=1)
    document.add_heading("3 Deployment", level=1)
    add_markdown(document, parts["deployment"], shift=1)
    document.add_heading("4 Operator runbook", level=1)
    add_markdown(document, parts["runbook"], shift=1)
    document.add_heading("5 Metrics", level=1)
    add_markdown(document, parts["metrics"], shift=1)
    document.add_heading("6 API reference", level=1)
    add_markdown(document, parts["api"], shift=1)
    path = out / "mailagent.docx"
    document.save(str(path))
    return path


def _section(markdown: str, title: str) -> str:
    """One `## title` section of a Markdown file, without its heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, flags=re.M | re.S)
    return match.group(1).strip() if match else ""


def build(out: Path) -> dict[str, Any]:
    if shutil.which("dot") is None:
        raise SystemExit("graphviz is missing: apt-get install graphviz")
    out.mkdir(parents=True, exist_ok=True)
    diagrams_dir = out / "diagrams"
    tools = subprocess.run([str(ROOT / "ops/k8s/tools.sh")], capture_output=True, text=True, check=True)  # noqa: S603
    kubectl = Path(tools.stdout.split()[-1]) / "kubectl"
    eks = ROOT / "ops/k8s/overlays/eks"
    rendered = subprocess.run([str(kubectl), "kustomize", str(eks)], capture_output=True, text=True, check=True).stdout  # noqa: S603
    manifests = [d for d in yaml.safe_load_all(rendered) if d]
    modules, edges = module_graph()
    graphs = {
        "system": system_diagram(),
        "modules": modules,
        "data_flow": data_flow_diagram(),
        "jobs": job_flow_diagram(),
        "events": event_flow_diagram(),
        "security": security_diagram(),
        "deployment": deployment_diagram(manifests),
    }
    diagrams = {name: render(g, diagrams_dir) for name, g in graphs.items()}

    doc = openapi_document()
    (out / "openapi.json").write_text(json.dumps(doc, indent=2))
    api = api_reference(doc)
    (out / "api-reference.md").write_text(api)
    readme = (ROOT / "README.md").read_text()
    metrics = (ROOT / "docs/metrics.md").read_text()
    runbook = (ROOT / "docs/runbook.md").read_text()
    for name, text in (("metrics.md", metrics), ("runbook.md", runbook)):
        (out / name).write_text(text)
    intro = readme.split("## Try it with curl")[0].split("\n", 1)[1]
    parts = {
        "introduction": intro,
        "architecture": "## Layers and rules\n\n" + _section(readme, "Architecture"),
        "deployment": (ROOT / "ops/README.md").read_text(),
        "runbook": runbook.split("\n", 1)[1],
        "metrics": metrics.split("\n", 1)[1],
        "api": api.split("\n", 1)[1],
    }
    version = doc["info"]["version"]
    docx = word_document(out, parts, diagrams, version)
    return {"docx": docx, "diagrams": diagrams, "openapi": doc, "module_edges": edges}


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "build")
    args = parser.parse_args(list(argv) if argv is not None else None)
    result = build(args.out)
    print(f"wrote {result['docx']} and {len(result['diagrams'])} diagrams in {args.out}")


if __name__ == "__main__":
    main()
