"""Resilience through the HTTP API: Gmail down opens the "gmail" circuit (87: a 503 a person understands, with
Retry-After; sends refused without reaching Gmail), the labels list degrades to the last known copy (89), admins see
circuits, caches and failed jobs (GET /admin/metrics), and a failing background job is retried with backoff, listed
for admins and requeued until it succeeds (88)."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from adapters.in_memory.clock import InMemoryClock
from application.ports.job_queue import JobPayload, RetryPolicy
from application.use_cases.create_user import CreateUserInput
from domain.mail import EmailAddress
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import FakeAccount, FakeGmailServer, Fault
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw

ADDRESS = "ann@gmail.com"
API = "/api/v1"
ADMIN = ("root@example.com", "Admin-pass 1234!")


class World:
    def __init__(
        self, api: Api, google: FakeGoogle, gmail: FakeGmailServer, account: FakeAccount, container: Any, clock: Any
    ) -> None:
        self.api, self.google, self.gmail, self.account = api, google, gmail, account
        self.container, self.clock = container, clock

    def connect(self) -> Account:
        me = self.api.signup("ann@example.com")
        url = self.api.get(f"{API}/mail/accounts/google/authorize", headers=me.headers).json()["data"]["url"]
        callback = urlparse(self.google.consent(url, ADDRESS))
        done = self.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert "connected=" in done.headers["location"], done.headers["location"]
        return me

    def admin(self) -> Account:
        self.container.create_user().execute(CreateUserInput(email=ADMIN[0], password=ADMIN[1], admin=True))
        return self.api.login(*ADMIN)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGmailServer() as gmail, running_fake_google() as google:
        account = gmail.add_account(ADDRESS)
        now = datetime.now(UTC)
        for n in range(3):
            raw = incoming_raw(
                sender=EmailAddress(address=f"s{n}@example.com", name=f"Sender {n}"),
                to=(EmailAddress(address=ADDRESS),),
                subject=f"Report {n}",
                text=f"Part {n}.",
                date=now - timedelta(hours=n + 1),
            )
            account.deliver(raw, ["INBOX", "UNREAD"])
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        settings = make_settings(
            tmp_path,
            **{**google_settings(google), "gmail_api_root": gmail.url},
            gmail_retry_attempts=1,  # one try per call: the circuit, not the adapter's backoff, is under test
            circuit_fail_max=2,
            circuit_reset_seconds=120,
        )
        clock = InMemoryClock(now)
        app, container = make_app(settings, clock=clock)
        yield World(Api(app, settings), google, gmail, account, container, clock)


@pytest.mark.property(87, 89)
def test_gmail_outage_opens_the_circuit_refuses_sends_clearly_and_serves_labels_degraded(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    me = world.connect()
    admin = world.admin()
    h = me.headers
    fresh = world.api.get(f"{API}/labels", headers=h)
    assert fresh.status_code == 200 and fresh.json()["meta"]["degraded"] is None
    assert "warning" not in fresh.headers
    labels_before = fresh.json()["data"]

    world.gmail.inject(Fault(status=503, times=10_000))  # Gmail goes down
    for _ in range(2):  # fail_max = 2 calls reach Gmail and fail ...
        down = world.api.get(f"{API}/emails", headers=h)
        assert down.status_code == 503
        assert down.json()["error"]["message"] == "Gmail is unavailable right now; try again later."
    assert "circuit gmail: closed -> open" in caplog.text

    # ... then the circuit is open: a send is refused at once, never reaching Gmail, in words a person gets (87).
    calls = len(world.gmail.calls)
    refused = world.api.post(
        f"{API}/emails/send", headers=h, json={"to": ["bob@example.com"], "subject": "Hi", "text_body": "Hello"}
    )
    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] == (
        "Gmail is not answering reliably, so mailagent has paused calls to it for a moment; try again in 120 seconds."
    )
    assert refused.headers["retry-after"] == "120"
    assert error["details"] == [{"service": "gmail", "retry_after": 120}]
    for internal in ("pybreaker", "CircuitBreaker", "Traceback", "half-open"):
        assert internal not in refused.text
    assert len(world.gmail.calls) == calls  # nothing reached Gmail
    assert world.gmail.count("messages.send") == 0

    # The labels list is not worth an error page: the last known copy, marked degraded (89).
    world.clock.advance(seconds=61)  # past the 60 s labels TTL: the fresh copy is gone
    degraded = world.api.get(f"{API}/labels", headers=h)
    assert degraded.status_code == 200, degraded.text
    body = degraded.json()
    assert body["data"] == labels_before
    assert body["meta"]["degraded"] is True
    assert "Gmail is not answering reliably" in body["meta"]["notice"]
    assert "Showing your labels as they were at" in body["meta"]["notice"]
    assert degraded.headers["warning"].startswith("110 ")
    assert len(world.gmail.calls) == calls

    # Admins see it (and only admins).
    assert world.api.get(f"{API}/admin/metrics", headers=h).status_code == 403
    metrics = world.api.get(f"{API}/admin/metrics", headers=admin.headers)
    assert metrics.status_code == 200, metrics.text
    [gmail] = metrics.json()["data"]["circuits"]
    assert gmail["service"] == "gmail" and gmail["state"] == "open"
    assert gmail["failures"] == 2 and gmail["rejections"] >= 2 and gmail["state_changes"] == 1
    assert gmail["retry_after_seconds"] == 59 and gmail["opened_at"]
    data = metrics.json()["data"]
    assert {k: data["jobs"][k] for k in ("failed", "error")} == {"failed": 0, "error": None}
    assert data["mail_cache"]["labels"]["misses"] >= 1 and data["cache"]["hits"] >= 1

    # Gmail recovers; after the cool-down one trial call closes the circuit again.
    world.gmail.faults.clear()
    world.clock.advance(seconds=60)
    assert world.api.get(f"{API}/emails", headers=h).status_code == 200
    sent = world.api.post(
        f"{API}/emails/send", headers=h, json={"to": ["bob@example.com"], "subject": "Hi", "text_body": "Hello"}
    )
    assert sent.status_code == 200, sent.text
    assert world.gmail.count("messages.send") == 1
    again = world.api.get(f"{API}/admin/metrics", headers=admin.headers).json()["data"]["circuits"][0]
    assert again["state"] == "closed" and again["state_changes"] == 3
    labels = world.api.get(f"{API}/labels", headers=h)
    assert labels.json()["meta"]["degraded"] is None


def test_bad_ids_never_open_the_gmail_circuit(world: World) -> None:
    me = world.connect()
    for n in range(6):  # three times fail_max
        r = world.api.get(f"{API}/emails/{'f' * 15}{n}", headers=me.headers)
        assert r.status_code == 404, r.text
    assert world.api.get(f"{API}/emails", headers=me.headers).status_code == 200
    stats = world.container.circuit_breakers().stats()
    assert [(s.service, s.state.value, s.failures) for s in stats] == [("gmail", "closed", 0)]
    assert stats[0].ignored_errors >= 6


@pytest.mark.property(87)
def test_without_a_last_known_copy_the_labels_list_fails_clearly(world: World) -> None:
    me = world.connect()
    world.gmail.inject(Fault(status=503, times=10_000))
    r = world.api.get(f"{API}/labels", headers=me.headers)
    assert r.status_code == 503
    assert r.json()["error"]["message"] == "Gmail is unavailable right now; try again later."
    assert r.headers["retry-after"] == "5"


def test_reading_a_message_twice_reads_gmail_once_and_a_change_is_seen_at_once(world: World) -> None:
    me = world.connect()
    [first, *_] = world.api.get(f"{API}/emails", headers=me.headers).json()["data"]
    gets = world.gmail.count("messages.get")
    one = world.api.get(f"{API}/emails/{first['id']}", headers=me.headers).json()["data"]
    assert one["unread"] is True
    assert world.api.get(f"{API}/emails/{first['id']}", headers=me.headers).json()["data"] == one
    assert world.gmail.count("messages.get") == gets + 1  # the second read came from the cache
    r = world.api.post(
        f"{API}/emails/batch-modify", headers=me.headers, json={"ids": [first["id"]], "remove": ["UNREAD"]}
    )
    assert r.status_code == 200, r.text
    assert world.api.get(f"{API}/emails/{first['id']}", headers=me.headers).json()["data"]["unread"] is False


# ---------------------------------------------------------------- failed jobs (88), in-process queue


class Flaky:
    """A test-only job that fails its first `failures` runs, recording when each run started."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs: list[tuple[float, JobPayload]] = []
        self.lock = threading.Lock()

    def __call__(self, payload: JobPayload) -> None:
        with self.lock:
            self.runs.append((time.monotonic(), dict(payload)))
            attempt = len(self.runs)
        if attempt <= self.failures:
            raise ConnectionError(f"upstream refused attempt {attempt} (password=hunter2)")


@pytest.mark.property(88)
def test_a_failing_job_is_retried_with_backoff_listed_for_admins_requeued_and_then_succeeds(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, container = make_app(settings)
    flaky = Flaky(failures=3)
    container.job_registry().register("test.flaky", flaky)
    container.create_user().execute(CreateUserInput(email=ADMIN[0], password=ADMIN[1], admin=True))
    api = Api(app, settings)
    with api.client:  # the lifespan starts the in-process job queue
        admin = api.login(*ADMIN)
        user = api.signup("user@example.com")
        queue = container.job_queue()
        backoff = RetryPolicy(3, base_delay_seconds=0.2, max_delay_seconds=5, jitter=False)
        job_id = queue.enqueue("test.flaky", {"account_id": "acc-9"}, retry=backoff)
        assert queue.run_until_idle(timeout=10)
        times = [at for at, _ in flaky.runs]
        assert len(times) == 3
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # exponential backoff: 0.2 s, then 0.4 s

        assert api.get(f"{API}/admin/jobs/failed", headers=user.headers).status_code == 403
        listed = api.get(f"{API}/admin/jobs/failed", headers=admin.headers)
        assert listed.status_code == 200, listed.text
        [failed] = listed.json()["data"]
        assert listed.json()["meta"]["total"] == 1
        assert (failed["id"], failed["name"], failed["payload"], failed["attempts"]) == (
            job_id,
            "test.flaky",
            {"account_id": "acc-9"},
            3,
        )
        assert failed["error"].startswith("ConnectionError: upstream refused attempt 3")
        assert "hunter2" not in listed.text and "Traceback" not in listed.text
        assert datetime.fromisoformat(failed["failed_at"]).tzinfo is not None

        missing = api.post(f"{API}/admin/jobs/failed/no-such-job/requeue", headers=admin.headers)
        assert missing.status_code == 404 and "no-such-job" in missing.json()["error"]["message"]
        assert api.post(f"{API}/admin/jobs/failed/{job_id}/requeue", headers=user.headers).status_code == 403

        requeued = api.post(f"{API}/admin/jobs/failed/{job_id}/requeue", headers=admin.headers)
        assert requeued.status_code == 200, requeued.text
        assert requeued.json()["data"] == {"id": job_id, "name": "test.flaky", "requeued": True}
        assert queue.run_until_idle(timeout=10)
        assert len(flaky.runs) == 4  # ran once more and succeeded
        assert api.get(f"{API}/admin/jobs/failed", headers=admin.headers).json()["data"] == []
        again = api.post(f"{API}/admin/jobs/failed/{job_id}/requeue", headers=admin.headers)
        assert again.status_code == 404  # nothing failed any more

        audit = api.get(f"{API}/admin/audit-logs", headers=admin.headers, params={"action": "admin.job_requeued"})
        [entry] = audit.json()["data"]
        assert entry["target"] == f"job:{job_id}" and entry["actor_id"] == admin.user_id
        assert entry["details"]["name"] == "test.flaky" and "hunter2" not in str(entry["details"])
        metrics = api.get(f"{API}/admin/metrics", headers=admin.headers).json()["data"]
        assert {k: metrics["jobs"][k] for k in ("failed", "error")} == {"failed": 0, "error": None}


def test_failed_jobs_are_paged_newest_first(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, container = make_app(settings)
    container.job_registry().register("test.broken", Flaky(failures=100))
    container.create_user().execute(CreateUserInput(email=ADMIN[0], password=ADMIN[1], admin=True))
    api = Api(app, settings)
    with api.client:
        admin = api.login(*ADMIN)
        queue = container.job_queue()
        ids = []
        for n in range(3):
            ids.append(queue.enqueue("test.broken", {"n": n}))
            assert queue.run_until_idle(timeout=10)
        page = api.get(f"{API}/admin/jobs/failed", headers=admin.headers, params={"limit": 2, "offset": 1}).json()
        assert [j["id"] for j in page["data"]] == [ids[1], ids[0]]
        assert (page["meta"]["total"], page["meta"]["offset"], page["meta"]["limit"]) == (3, 1, 2)
        bad = api.get(f"{API}/admin/jobs/failed", headers=admin.headers, params={"limit": 0})
        assert bad.status_code == 422
