"""The images, for real: compose.yaml's stack (nginx, two API replicas, a worker, PostgreSQL, Redis, ClamAV) started
with podman on free ports, driven as a user would through nginx: register, verify, demo mailbox, send, scheduled
send delivered by the worker and announced on the WebSocket (possibly by the other replica), /metrics. `make
test-ops` builds the images first (the Debian base is cached between runs)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "ops" / "containers" / "compose.yaml"
CONTAINERS_CONF = ROOT / "ops" / "containers" / "containers.conf"
PASSWORD = "Correct-horse 42 battery"
pytestmark = pytest.mark.timeout(1200)  # a whole stack on two busy cores; every wait inside has its own ceiling


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (OSError, urllib.error.URLError, ValueError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    compose = shutil.which("podman-compose", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if compose is None or shutil.which("podman") is None:
        pytest.fail("podman and podman-compose are needed: apt-get install podman podman-compose", pytrace=False)
    project = f"mailagent-smoke-{uuid.uuid4().hex[:8]}"
    ports = {name: free_port() for name in ("HTTP", "API_1", "API_2", "POSTGRES", "REDIS", "CLAMD", "WORKER_METRICS")}
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(CONTAINERS_CONF),
        **{f"{name}_PORT": str(port) for name, port in ports.items()},
        "POSTGRES_PASSWORD": secrets.token_hex(12),
        "MAILAGENT_JWT_SECRET": secrets.token_hex(32),
        "MAILAGENT_METRICS_TOKEN": secrets.token_hex(16),
        "MAILAGENT_PUBLIC_URL": f"http://127.0.0.1:{ports['HTTP']}",
        "MAILAGENT_SCHEDULED_DISPATCH_SECONDS": "1",
        "CLAMAV_OFFLINE": "1",
    }
    log = tmp_path_factory.mktemp("smoke") / "compose.log"
    base = [compose, "-p", project, "-f", str(COMPOSE)]

    def logs() -> str:
        out = subprocess.run(
            [
                "podman",
                "ps",
                "-a",
                "--filter",
                f"label=io.podman.compose.project={project}",
                "--format",
                "{{.Names}} {{.Status}}",
            ],
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        for name in out.split():
            if name.startswith(project):
                tail = subprocess.run(["podman", "logs", "--tail", "30", name], env=env, capture_output=True, text=True)
                out += f"\n--- {name}\n{tail.stdout[-2500:]}{tail.stderr[-2500:]}"
        return out + "\n--- compose\n" + log.read_text()[-4000:]

    with log.open("w") as out:
        up = subprocess.run([*base, "up", "-d"], env=env, stdout=out, stderr=subprocess.STDOUT, timeout=600)
    try:
        assert up.returncode == 0, logs()
        url = f"http://127.0.0.1:{ports['HTTP']}"
        try:
            for replica in ("API_1", "API_2"):
                replica_url = f"http://127.0.0.1:{ports[replica]}/readyz"
                wait_until(f"{replica} to be ready", lambda u=replica_url: call("GET", u)[0] == 200, 300)  # type: ignore[misc]
            wait_until("the stack behind nginx to be ready", lambda: call("GET", f"{url}/readyz")[0] == 200, 60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{logs()}") from exc
        volume = subprocess.run(
            ["podman", "volume", "inspect", f"{project}_data", "--format", "{{.Mountpoint}}"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        yield {"url": url, "ports": ports, "env": env, "data": Path(volume), "logs": logs, "project": project}
    finally:
        with log.open("a") as out:
            subprocess.run([*base, "down", "-v"], env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300)


def verification_token(data: Path, to: str) -> str:
    for path in sorted((data / "outbox").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            body = message.get_body(("plain",))
            found = re.search(r"verify-email\?token=(\S+)", body.get_content() if body else "")
            if found:
                return found.group(1)
    raise ValueError("no verification mail yet")


async def next_event(url: str, token: str, wanted: str, timeout: float) -> dict[str, Any]:
    import websockets

    ws_url = url.replace("http://", "ws://") + "/api/v1/ws"
    async with websockets.connect(ws_url, subprotocols=["mailagent.v1", f"bearer.{token}"]) as ws:  # type: ignore[list-item]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic()))
            if message["type"] == "heartbeat":
                await ws.send('{"type":"pong"}')
            if message["type"] == wanted:
                return message
    raise AssertionError(f"no {wanted} event within {timeout} s")


def test_the_stack_serves_a_user_end_to_end(stack: dict[str, Any]) -> None:
    url, api = stack["url"], stack["url"] + "/api/v1"
    try:
        # the web app, through nginx
        status, page = call("GET", f"{url}/mail/inbox")
        assert status == 200 and '<div id="root">' in page

        address = "smoke@example.com"
        status, _ = call("POST", f"{api}/auth/register", {"email": address, "password": PASSWORD})
        assert status == 201
        token = wait_until("the verification mail", lambda: verification_token(stack["data"], address), 60)
        assert call("POST", f"{api}/auth/verify-email", {"token": token})[0] == 200
        status, login = call("POST", f"{api}/auth/login", {"email": address, "password": PASSWORD})
        assert status == 200, login
        h = {"Authorization": f"Bearer {login['data']['access_token']}"}

        status, account = call("POST", f"{api}/mail/accounts/demo", headers=h)
        assert status == 201, account
        status, sent = call(
            "POST",
            f"{api}/emails/send",
            {"to": ["bob@example.com"], "subject": "Hello from the stack", "text_body": "hi"},
            h,
        )
        assert status in (200, 201), sent

        # listen first (either replica may hold the socket; events cross replicas through Redis), then schedule
        send_at = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
        loop = asyncio.new_event_loop()
        try:
            listener = loop.create_task(next_event(url, login["data"]["access_token"], "scheduled_email.sent", 180))
            loop.run_until_complete(asyncio.sleep(1))
            status, scheduled = call(
                "POST",
                f"{api}/emails/schedule",
                {
                    "to": ["carol@example.com"],
                    "subject": "Scheduled from the stack",
                    "text_body": "later",
                    "send_at": send_at,
                },
                h,
            )
            assert status == 201, scheduled
            event = loop.run_until_complete(listener)
        finally:
            loop.close()
        assert event["data"]["scheduled_id"] == scheduled["data"]["id"]
        status, got = call("GET", f"{api}/emails/scheduled/{scheduled['data']['id']}", headers=h)
        assert got["data"]["status"] == "sent"

        # metrics: not on the public side (nginx does not proxy /metrics); on each replica's port with the token
        metrics_token = stack["env"]["MAILAGENT_METRICS_TOKEN"]
        _, public = call("GET", f"{url}/metrics")
        assert "mailagent_http_requests_total" not in str(public)
        replica = f"http://127.0.0.1:{stack['ports']['API_1']}/metrics"
        assert call("GET", replica)[0] == 401
        status, text = call("GET", replica, headers={"Authorization": f"Bearer {metrics_token}"})
        assert status == 200 and "mailagent_http_requests_total{" in text
        worker = f"http://127.0.0.1:{stack['ports']['WORKER_METRICS']}/metrics"
        status, text = call("GET", worker)
        assert status == 200
        # the worker sent the scheduled mail (a scheduled.send job or a scheduled.dispatch batch) and counted it
        assert re.search(r'mailagent_job_runs_total\{kind="scheduled\.\w+",outcome="succeeded"\} [1-9]', text)
        assert 'mailagent_scheduled_sends_total{outcome="sent"} 1.0' in text, text[-3000:]
        assert "mailagent_scheduled_send_lateness_seconds_count 1.0" in text

        # ClamAV answers on its port
        with socket.create_connection(("127.0.0.1", stack["ports"]["CLAMD"]), timeout=10) as s:
            s.sendall(b"zPING\0")
            assert s.recv(16).startswith(b"PONG")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack['logs']()}") from exc


def test_containers_run_as_non_root_on_a_read_only_root(stack: dict[str, Any]) -> None:
    env = stack["env"]
    names = subprocess.run(
        ["podman", "ps", "--filter", f"label=io.podman.compose.project={stack['project']}", "--format", "{{.Names}}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    api = next(n for n in names if "api-1" in n)
    inspect = json.loads(
        subprocess.run(["podman", "inspect", api], env=env, capture_output=True, text=True, check=True).stdout
    )[0]
    assert inspect["HostConfig"]["ReadonlyRootfs"] is True
    assert inspect["Config"]["User"] == "10001:10001"
    assert inspect["Config"]["Labels"]["org.opencontainers.image.revision"] != "unknown"
    wrote = subprocess.run(
        ["podman", "exec", api, "sh", "-c", "touch /opt/venv/x"], env=env, capture_output=True, text=True
    )
    assert wrote.returncode != 0 and "Read-only file system" in wrote.stderr
    tools = subprocess.run(
        ["podman", "exec", api, "sh", "-c", "command -v gcc cc pip uv || true"], env=env, capture_output=True, text=True
    )
    assert tools.stdout.strip() == ""
    pid1 = subprocess.run(["podman", "exec", api, "cat", "/proc/1/comm"], env=env, capture_output=True, text=True)
    assert pid1.stdout.strip() == "tini"
