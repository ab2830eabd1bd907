"""ops/nginx/mailagent.conf.template under a real nginx: SPA fallback, cache headers, gzip, security headers, and
the API (REST, probes, docs, WebSocket) proxied to a real mailagent server."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from entrypoints.http.middleware import AGENT_CSP, API_CSP, APP_CSP
from tests.support.app import PASSWORD, Api, make_app, make_settings
from tests.support.servers import running

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "ops" / "nginx" / "mailagent.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head>' + (
    '<body><div id="root"></div></body></html>'
)
APP_JS = "export const answer = 42;\n" + "console.log('a line of a large bundle');\n" * 2000


def render(template: str, values: dict[str, str]) -> str:
    """What envsubst with an explicit variable list (or the nginx image's template step) does."""
    out = template
    for name, value in values.items():
        out = out.replace("${" + name + "}", value)
    left = re.findall(r"\$\{[A-Za-z_]+\}", out)
    assert not left, f"unsubstituted variables in the template: {left}"
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base: str  # nginx
    api: Api  # for the outbox helpers


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    assert Path(NGINX).exists(), (
        "nginx is not installed: `apt-get install -y nginx-light` (.ci/run installs it in CI). "
        "This test runs the shipped nginx config for real and is not skipped."
    )
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-abc123.js").write_text(APP_JS)
    (dist / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')

    settings = make_settings(tmp_path, web_dist=tmp_path / "no-dist-here")  # nginx serves the web app
    app, _ = make_app(settings)
    with running(app) as upstream:
        port = free_port()
        conf_dir = tmp_path / "nginx"
        conf_dir.mkdir()
        (conf_dir / "mailagent.conf").write_text(
            render(
                TEMPLATE.read_text(),
                {
                    "MAILAGENT_LISTEN": f"127.0.0.1:{port}",
                    "MAILAGENT_UPSTREAM": upstream.removeprefix("http://"),
                    "MAILAGENT_WEB_ROOT": str(dist),
                },
            )
        )
        temp_paths = "\n".join(
            f"    {kind}_temp_path {conf_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, workers would drop to `nobody`, who cannot read pytest's 0700 temp dirs.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (conf_dir / "nginx.conf").write_text(
            f"""{user}worker_processes 1;
pid {conf_dir / "nginx.pid"};
error_log {conf_dir / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp_paths}
    include {conf_dir / "mailagent.conf"};
}}
"""
        )
        args = [NGINX, "-p", str(conf_dir), "-e", str(conf_dir / "error.log"), "-c", str(conf_dir / "nginx.conf")]
        checked = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"nginx -t refused the config:\n{checked.stderr}"
        proc = subprocess.Popen([*args, "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 15
            while True:
                if proc.poll() is not None:
                    log = (conf_dir / "error.log").read_text() if (conf_dir / "error.log").exists() else ""
                    raise AssertionError(f"nginx exited ({proc.returncode}): {log}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError("nginx did not start listening") from None
                    time.sleep(0.05)
            api = Api(app, settings)
            yield Stack(f"http://127.0.0.1:{port}", api)
            api.client.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def get(stack: Stack, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(stack.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def assert_app_security_headers(r: httpx.Response, csp: str = APP_CSP) -> None:
    assert r.headers.get_list("content-security-policy") == [csp]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert r.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"


def test_spa_routes_fall_back_to_index_html_revalidated(stack: Stack) -> None:
    for path in ("/", "/mail/inbox", "/mail/inbox/thread/abc?x=1", "/index.html"):
        r = get(stack, path)
        assert r.status_code == 200, path
        assert r.text == INDEX, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert r.headers["cache-control"] == "no-cache", path
        assert_app_security_headers(r)
    icon = get(stack, "/favicon.svg")
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
    # the agent's view: the same page under a policy that lets no remote image load
    for path in ("/agent", "/agent/c-1"):
        r = get(stack, path)
        assert r.status_code == 200 and r.text == INDEX, path
        assert_app_security_headers(r, AGENT_CSP)
    assert_app_security_headers(get(stack, "/agents-elsewhere"))


def test_hashed_assets_are_immutable_gzipped_and_a_missing_one_is_404(stack: Stack) -> None:
    r = get(stack, "/assets/app-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    assert r.text == APP_JS  # decompressed by the client: intact
    assert_app_security_headers(r)
    with httpx.stream("GET", stack.base + "/assets/app-abc123.js", headers={"Accept-Encoding": "gzip"}) as raw:
        body = b"".join(raw.iter_raw())
    assert len(body) < len(APP_JS) // 10 and gzip.decompress(body).decode() == APP_JS
    plain = get(stack, "/assets/app-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    missing = get(stack, "/assets/app-old999.js")
    assert missing.status_code == 404 and "root" not in missing.text


def test_the_api_probes_and_docs_are_proxied_with_the_apis_own_headers(stack: Stack) -> None:
    for path in ("/api/v1/healthz", "/healthz", "/readyz", "/api/v1/readyz"):
        r = get(stack, path)
        assert r.status_code == 200, path
        assert r.json()["data"]["status"] == "ok", path
        assert "x-request-id" in r.headers, path  # it came from mailagent, not from nginx
        assert r.headers.get_list("content-security-policy") == [API_CSP], path  # no second, looser policy
    assert get(stack, "/openapi.json").json()["info"]["title"] == "mailagent"
    docs = get(stack, "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]  # the docs' own CSP, not the app's
    nope = get(stack, "/api/v1/nope")
    assert nope.status_code == 404 and nope.json()["error"]["code"] == "not_found"


def test_sign_in_and_the_websocket_work_through_the_proxy(stack: Stack) -> None:
    email = "proxied@example.com"
    with httpx.Client(base_url=stack.base, timeout=10) as client:
        assert client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        from tests.support.app import outbox_link

        token = outbox_link(stack.api.settings, email, "verify-email")
        assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD, "refresh_cookie": True})
        assert login.status_code == 200, login.text
        access = login.json()["data"]["access_token"]
        # The refresh cookie's round trip (path /api/v1/auth) survives the proxy.
        refreshed = client.post("/api/v1/auth/refresh", headers={"X-Requested-With": "mailagent"})
        assert refreshed.status_code == 200, refreshed.text
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200

    ws_url = stack.base.replace("http://", "ws://") + "/api/v1/ws"
    with connect(ws_url, subprotocols=["mailagent.v1", f"bearer.{access}"], open_timeout=10) as ws:  # type: ignore[list-item]
        ready = json.loads(ws.recv(timeout=10))
        assert ready["type"] == "ready"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "pong"


def test_uploads_stream_through_and_the_app_says_what_is_too_large(stack: Stack) -> None:
    me = stack.api.signup("uploader@example.com")
    with httpx.Client(base_url=stack.base, timeout=60) as client:
        ok = client.post("/api/v1/attachments/upload", files={"file": ("a.txt", b"through nginx")}, headers=me.headers)
        assert ok.status_code == 201, ok.text
        assert ok.json()["data"]["size"] == len(b"through nginx")
        over = client.post(
            "/api/v1/attachments/upload", files={"file": ("big.bin", bytes(25 * 1024 * 1024 + 1))}, headers=me.headers
        )
        assert over.status_code == 413 and over.json()["error"]["code"] == "payload_too_large"  # the app's answer
    block = TEMPLATE.read_text().split("location = /api/v1/attachments/upload", 1)[1].split("}", 1)[0]
    assert "proxy_request_buffering off;" in block


def test_the_template_keeps_long_lived_websockets_open() -> None:
    text = TEMPLATE.read_text()
    ws_block = text.split("location = /api/v1/ws", 1)[1].split("}", 1)[0]
    timeout = re.search(r"proxy_read_timeout\s+(\d+)s;", ws_block)
    assert timeout and int(timeout.group(1)) > 60
    assert "proxy_set_header Upgrade $http_upgrade;" in ws_block
