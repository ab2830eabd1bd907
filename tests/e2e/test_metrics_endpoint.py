"""GET /metrics: protected by a token, Prometheus text, requests counted by route template, gauges sampled."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.app import Api, make_app, make_settings

TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(r.text)


def test_metrics_need_the_token_and_are_off_without_one(tmp_path: Path) -> None:
    app, _ = make_app(make_settings(tmp_path))
    plain = Api(app, make_settings(tmp_path))
    r = plain.get("/metrics")
    assert r.status_code == 404
    assert "MAILAGENT_METRICS_TOKEN" in r.json()["error"]["message"]

    settings = make_settings(tmp_path / "b", metrics_token=TOKEN)
    app, _ = make_app(settings)
    api = Api(app, settings)
    assert api.get("/metrics").status_code == 401
    wrong = api.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert TOKEN not in wrong.text


@pytest.mark.property(77, 79)
def test_requests_are_counted_by_route_template_and_status(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token=TOKEN)
    app, _ = make_app(settings)
    api = Api(app, settings)
    account = api.signup("ada@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=account.headers).status_code in (200, 201)
    listed = api.get("/api/v1/emails?limit=2", headers=account.headers).json()["data"]
    message_id = listed[0]["id"]
    for _ in range(3):
        assert api.get(f"/api/v1/emails/{message_id}", headers=account.headers).status_code == 200
    assert api.get("/api/v1/emails/does-not-exist", headers=account.headers).status_code == 404
    api.get("/no/such/thing/at/all")  # the web app's fallback
    api.get("/api/v1/no/such/thing")

    found = scrape(api)
    by_id = (("method", "GET"), ("route", "/api/v1/emails/{message_id}"), ("status", "200"))
    assert found[("mailagent_http_requests_total", by_id)] == 3
    missing = (("method", "GET"), ("route", "/api/v1/emails/{message_id}"), ("status", "404"))
    assert found[("mailagent_http_requests_total", missing)] == 1
    # one histogram series per route template, not per URL
    count = found[
        ("mailagent_http_request_duration_seconds_count", (("method", "GET"), ("route", "/api/v1/emails/{message_id}")))
    ]
    assert count == 4
    assert not any(message_id in str(labels) for (_, labels) in found)
    # a path no route knows is not a new series of its own
    assert not any("/no/such" in str(labels) for (_, labels) in found)
    assert found[("mailagent_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    assert ("mailagent_http_requests_total", (("method", "GET"), ("route", "web_app"), ("status", "200"))) in found
    # gauges sampled at scrape time
    assert found[("mailagent_websocket_connections", ())] == 0
    assert found[("mailagent_agent_pending_actions", ())] == 0
    assert ("mailagent_job_queue_depth", (("queue", "in-process"), ("state", "queued"))) in found
    assert found[("mailagent_mail_sync_lag_seconds", ())] >= 0


def test_agent_turns_and_tool_calls_are_counted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token=TOKEN)
    app, _ = make_app(settings)
    api = Api(app, settings)
    account = api.signup("bo@example.com")
    api.post("/api/v1/mail/accounts/demo", headers=account.headers)
    r = api.post("/api/v1/agent/chat", headers=account.headers, json={"message": "find unread mail"})
    assert r.status_code == 200, r.text
    found = scrape(api)
    assert found[("mailagent_agent_turns_total", (("outcome", "ok"),))] == 1
    assert found[("mailagent_agent_tool_calls_total", (("outcome", "ok"), ("tool", "search_emails")))] >= 1
