"""The built web app served by the API process: files, SPA fallback, cache headers, gzip, no path traversal."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from entrypoints.http.middleware import AGENT_CSP, APP_CSP
from entrypoints.http.web_app import IMMUTABLE, resolve_in_dist
from tests.support.app import Api, make_app, make_settings
from tests.support.servers import running

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head>' + (
    '<body><div id="root"></div></body></html>'
)
# Big enough to be compressed (the middleware leaves bodies under 1 KiB alone).
APP_JS = "export const greeting = 'hello from the bundle';\n" + "console.log(greeting);\n" * 400
SECRET = "top secret: outside the web root"


def make_dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-abc123.js").write_text(APP_JS)
    (dist / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    (root / "secret.txt").write_text(SECRET)  # beside dist: must never be served
    return dist


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[Api, Any]]:
    dist = make_dist(tmp_path / "web")
    settings = make_settings(tmp_path, web_dist=dist)
    app, _ = make_app(settings)
    client = Api(app, settings)
    yield client, app
    client.client.close()


def test_index_and_spa_routes_get_index_html_revalidated(web: tuple[Api, Any]) -> None:
    api, _ = web
    for path in ("/", "/mail/inbox", "/mail/inbox/thread/abc", "/settings?tab=keys", "/index.html"):
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.text == INDEX, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert r.headers["cache-control"] == "no-cache", path
        assert r.headers["content-security-policy"] == APP_CSP, path
    for path in ("/agent", "/agent/c-1?x=1"):  # the agent's view: the same page, and no remote image may load
        r = api.get(path)
        assert r.status_code == 200 and r.text == INDEX, path
        assert r.headers["content-security-policy"] == AGENT_CSP and "https:" not in AGENT_CSP, path
    head = api.head("/mail/inbox")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["cache-control"] == "no-cache"
    assert head.headers["content-length"] == str(len(INDEX))  # what a GET would send


def test_hashed_assets_are_immutable_and_unhashed_files_revalidated(web: tuple[Api, Any]) -> None:
    api, _ = web
    js = api.get("/assets/app-abc123.js")
    assert js.status_code == 200
    assert js.text == APP_JS
    assert "javascript" in js.headers["content-type"]
    assert js.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    icon = api.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_a_404_not_index_html(web: tuple[Api, Any]) -> None:
    api, _ = web
    r = api.get("/assets/app-old999.js")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "root" not in r.text


def test_the_api_keeps_its_json_404s_and_its_own_routes(web: tuple[Api, Any]) -> None:
    api, _ = web
    for method, path in (
        ("GET", "/api/v1/nope"),
        ("GET", "/api/nope"),
        ("GET", "/api"),
        ("POST", "/api/v1/nope"),
        ("DELETE", "/api/v1/emails/x/y/z"),
        ("GET", "/docs/nope"),
    ):
        r = api.request(method, path)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/json", (method, path)
        assert r.json()["error"]["code"] == "not_found", (method, path)
    assert api.get("/api/v1/healthz").json()["data"]["status"] == "ok"
    assert api.get("/healthz").json()["data"]["status"] == "ok"
    assert api.get("/openapi.json").json()["info"]["title"] == "mailagent"
    assert "swagger" in api.get("/docs").text.lower()
    assert "redoc" in api.get("/redoc").text.lower()
    # Other methods on app paths are not the web app's business either.
    assert api.post("/mail/inbox").status_code == 404


def test_encoded_dot_segments_never_leave_the_web_root(web: tuple[Api, Any]) -> None:
    api, _ = web
    for path in (
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/web/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
    ):
        r = api.get(path)
        assert SECRET not in r.text, path
        # Outside assets/ the SPA answers; inside, nothing.
        assert r.status_code == (404 if path.startswith("/assets/") else 200), (path, r.status_code)


def test_raw_dot_segments_over_a_real_socket_never_leave_the_web_root(web: tuple[Api, Any]) -> None:
    """HTTP clients normalise `..` before sending; http.client does not, so the server sees it as written."""
    _, app = web
    with running(app) as base:
        netloc = urlsplit(base).netloc
        for path in ("/../secret.txt", "/../../web/secret.txt", "/assets/../../secret.txt", "/assets/../index.html"):
            conn = http.client.HTTPConnection(netloc, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read().decode()
            conn.close()
            assert SECRET not in body, path
            assert response.status in (200, 404), (path, response.status)


def test_resolve_in_dist_refuses_every_way_out(tmp_path: Path) -> None:
    dist = make_dist(tmp_path)
    (dist / "escape").symlink_to(tmp_path)  # a symlink inside dist pointing out of it
    assert resolve_in_dist(dist, "/assets/app-abc123.js") == (dist / "assets" / "app-abc123.js").resolve()
    for bad in (
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/escape/secret.txt",
        "/" + str(tmp_path / "secret.txt"),  # an absolute path in disguise
        "//" + str(tmp_path / "secret.txt"),
        "/assets",  # a directory is not a file
        "/",
        "/index.html\x00.js",
        "/..\\secret.txt",
    ):
        assert resolve_in_dist(dist, bad) is None, bad


def test_large_responses_are_gzipped_for_clients_that_accept_it(web: tuple[Api, Any]) -> None:
    api, _ = web
    js = api.get("/assets/app-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert js.headers["content-encoding"] == "gzip"
    assert js.text == APP_JS  # the client decompressed it: the bytes are intact
    assert js.headers["cache-control"] == IMMUTABLE
    assert int(js.headers["content-length"]) < len(APP_JS) // 5
    spec = api.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["content-encoding"] == "gzip" and spec.json()["info"]["title"] == "mailagent"
    assert "x-request-id" in spec.headers and "content-security-policy" in spec.headers
    plain = api.get("/assets/app-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == APP_JS
    small = api.get("/api/v1/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under 1 KiB: not worth it


def test_gzip_really_compresses_on_the_wire(web: tuple[Api, Any]) -> None:
    _, app = web
    with running(app) as base:
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        conn.request("GET", "/assets/app-abc123.js", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        raw = response.read()
        conn.close()
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(raw).decode() == APP_JS


@pytest.mark.parametrize("web_dist", ["missing", None])
def test_without_a_build_the_root_says_how_to_build_it(tmp_path: Path, web_dist: str | None) -> None:
    settings = make_settings(tmp_path, web_dist=tmp_path / web_dist if web_dist else None)
    app, _ = make_app(settings)
    api = Api(app, settings)
    for path in ("/", "/mail/inbox"):
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert "not built" in r.text and "make run" in r.text and "npm run build" in r.text
        assert 'href="/docs"' in r.text
    assert api.get("/api/v1/nope").status_code == 404
    api.client.close()


def test_the_default_web_dist_is_the_source_trees_frontend_dist(monkeypatch: pytest.MonkeyPatch) -> None:
    from entrypoints.settings import Settings

    monkeypatch.delenv("MAILAGENT_WEB_DIST", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.web_dist == Path(__file__).resolve().parents[2] / "frontend" / "dist"
