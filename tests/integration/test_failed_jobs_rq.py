"""Property 88 on the production profile (PostgreSQL + Redis + RQ): a failing job is retried with backoff by an RQ
worker, lands in RQ's failed registry, is listed for admins over HTTP, requeued (audited) and then succeeds."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from application.ports.job_queue import JobPayload, RetryPolicy
from application.use_cases.create_user import CreateUserInput
from tests.contract.test_job_queue import remove_rq_queue
from tests.support.app import Api, make_app, make_settings

API = "/api/v1"


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, payload: JobPayload) -> None:
        with self.lock:
            self.runs.append(time.monotonic())
            attempt = len(self.runs)
        if attempt <= self.failures:
            raise TimeoutError(f"provider timed out on attempt {attempt} token=abc123secret")


@pytest.mark.property(88)
def test_rq_failed_job_is_listed_requeued_and_succeeds(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any
) -> None:
    queue_name = f"mailagent-test-{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        tmp_path,
        profile="production",
        database_url=postgres_url,
        redis_url=redis_url,
        job_queue_name=queue_name,
        anonymous_rate_limit_per_minute=1000,
    )
    app, container = make_app(settings)
    flaky = Flaky(failures=3)
    container.job_registry().register("test.flaky", flaky)
    container.create_user().execute(CreateUserInput(email="root@example.com", password="Admin-pass 1234!", admin=True))
    api = Api(app, settings)
    queue = container.job_queue()
    from adapters.rq.job_queue import RqJobQueue

    assert isinstance(queue, RqJobQueue)
    try:
        admin = api.login("root@example.com", "Admin-pass 1234!")
        backoff = RetryPolicy(3, base_delay_seconds=1, max_delay_seconds=8, jitter=False)
        job_id = queue.enqueue("test.flaky", {"account_id": "acc-1"}, retry=backoff)
        assert queue.run_until_idle(timeout=30)
        assert len(flaky.runs) == 3
        gaps = [b - a for a, b in itertools.pairwise(flaky.runs)]
        assert gaps[0] >= 1.0 and gaps[1] >= 2.0, gaps  # backoff: 1 s, then 2 s

        listed = api.get(f"{API}/admin/jobs/failed", headers=admin.headers)
        assert listed.status_code == 200, listed.text
        [failed] = listed.json()["data"]
        assert (failed["id"], failed["name"], failed["payload"], failed["attempts"]) == (
            job_id,
            "test.flaky",
            {"account_id": "acc-1"},
            3,
        )
        assert failed["error"].startswith("TimeoutError: provider timed out on attempt 3")
        assert "abc123secret" not in listed.text
        metrics = api.get(f"{API}/admin/metrics", headers=admin.headers).json()["data"]
        assert {k: metrics["jobs"][k] for k in ("failed", "error")} == {"failed": 1, "error": None}
        assert metrics["jobs"]["depths"]["failed"] == 1

        requeued = api.post(f"{API}/admin/jobs/failed/{job_id}/requeue", headers=admin.headers)
        assert requeued.status_code == 200, requeued.text
        assert queue.run_until_idle(timeout=30)
        assert len(flaky.runs) == 4
        assert api.get(f"{API}/admin/jobs/failed", headers=admin.headers).json()["data"] == []
        assert api.post(f"{API}/admin/jobs/failed/{job_id}/requeue", headers=admin.headers).status_code == 404
        audit = api.get(f"{API}/admin/audit-logs", headers=admin.headers, params={"action": "admin.job_requeued"})
        assert [e["target"] for e in audit.json()["data"]] == [f"job:{job_id}"]
    finally:
        remove_rq_queue(redis_client, queue_name)
