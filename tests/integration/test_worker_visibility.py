"""Who takes jobs is visible: `/readyz?workers=true` and the admin metrics (the web app's System page) show the live
workers, the scheduler role's holder and the queue depths, and say so plainly (503 on /readyz) when no worker runs.
Real PostgreSQL, Redis and `mailagent worker` processes; the API is the app on the same installation."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.sqlalchemy.migrate import upgrade
from application.use_cases.create_user import CreateUserInput
from entrypoints.http.app import create_app
from tests.support.installation import Installation, wait_until

ADMIN = ("root@example.com", "Admin-pass 1234!")


@pytest.fixture
def installation(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Installation]:
    upgrade(postgres_url)
    found = Installation(tmp_path, postgres_url, redis_url)
    try:
        yield found
    finally:
        found.close()


def test_readyz_and_the_system_page_show_workers_scheduler_and_depths(installation: Installation) -> None:
    container = installation.container
    client = TestClient(create_app(container))
    container.create_user().execute(CreateUserInput(email=ADMIN[0], password=ADMIN[1], admin=True))
    token = client.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["data"]
    admin = {"Authorization": f"Bearer {token['access_token']}"}

    # No worker: /readyz alone is still 200 (this replica serves), with ?workers=true it is 503 and says why.
    assert client.get("/readyz").status_code == 200
    ready = client.get("/readyz", params={"workers": "true"})
    assert ready.status_code == 503, ready.text
    assert ready.json()["data"]["checks"]["workers"].startswith("failing: No worker is running")
    jobs: dict[str, Any] = client.get("/api/v1/admin/metrics", headers=admin).json()["data"]["jobs"]
    assert jobs["workers"] == [] and jobs["scheduler"] is None and jobs["problem"] is True
    assert jobs["summary"].startswith("No worker is running")
    assert set(jobs["depths"]) == {"periodic", "default", "delayed", "running", "failed"}

    worker = installation.worker("worker-1")
    worker_id = installation.wait_for_worker(worker)
    wait_until("the worker to hold the scheduler role", lambda: container.job_queue().status().scheduler, 60)

    ready = client.get("/readyz", params={"workers": "true"})
    assert ready.status_code == 200, ready.text
    assert ready.json()["data"]["checks"]["workers"] == f"ok: 1 worker(s) live; {worker_id} holds the scheduler role."
    jobs = client.get("/api/v1/admin/metrics", headers=admin).json()["data"]["jobs"]
    assert [w["id"] for w in jobs["workers"]] == [worker_id] and jobs["workers"][0]["pid"] == worker.pid
    assert jobs["workers"][0]["scheduler"] is True and jobs["scheduler"] == worker_id
    assert jobs["problem"] is False and all(isinstance(n, int) for n in jobs["depths"].values())

    worker.signal(signal.SIGTERM)  # a clean stop removes its heartbeat and hands the role back at once
    wait_until("the stopped worker to leave the live list", lambda: not container.job_queue().status().workers, 60)
    ready = client.get("/readyz", params={"workers": "true"})
    assert ready.status_code == 503
    assert ready.json()["data"]["checks"]["workers"].startswith("failing: No worker is running")
