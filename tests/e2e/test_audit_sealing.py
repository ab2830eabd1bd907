"""The embedded default seals audit entries by itself: requests only write them, the in-process sealer (a periodic
job of `mailagent serve`) puts them in the chain within seconds, and the admin metrics show how far behind it is."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from application.use_cases.create_user import CreateUserInput
from tests.support.app import PASSWORD, make_app, make_settings


def test_the_running_app_seals_what_requests_write_and_reports_the_lag(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, container = make_app(settings)
    container.create_user().execute(CreateUserInput(email="root@example.com", password=PASSWORD, admin=True))
    with TestClient(app) as client:  # the lifespan starts the in-process jobs and their ticker
        login = client.post("/api/v1/auth/login", json={"email": "root@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        for _ in range(5):
            client.post("/api/v1/auth/login", json={"email": "root@example.com", "password": "Wrong password 1!"})
        deadline = time.monotonic() + 60  # generous: a busy 2-core machine; the sealer runs every second
        while True:
            audit = client.get("/api/v1/admin/metrics", headers=headers).json()["data"]["audit"]
            if audit["unsealed"] == 0 and audit["head_seq"] >= 7:
                break
            assert time.monotonic() < deadline, f"the sealer did not catch up: {audit}"
            time.sleep(0.2)
        assert audit["lag_seconds"] == 0
        entries = client.get("/api/v1/admin/audit-logs", params={"limit": 50}, headers=headers).json()["data"]
    assert all(e["seq"] is not None and len(e["hash"]) == 64 for e in entries), entries
    report = container.verify_audit_chain().execute()
    assert report.ok and report.checked >= 7 and report.head.seq == report.checked
