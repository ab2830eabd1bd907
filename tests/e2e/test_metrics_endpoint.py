"""GET /metrics: protected by a token, Prometheus text, requests counted by route template, gauges sampled."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from tests.support.app import Account, Api, make_app, make_settings

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


# ------------------------------------------------------------------------ properties 77 and 79, for any traffic

Key = tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class Served:
    api: Api
    account: Account
    message_id: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = make_settings(
        tmp_path_factory.mktemp("metrics-props"),
        metrics_token=TOKEN,
        rate_limit_per_minute=1_000_000,
        anonymous_rate_limit_per_minute=1_000_000,
    )
    app, _ = make_app(settings)
    api = Api(app, settings)
    with api.client:
        account = api.signup("props@example.com")
        assert api.post("/api/v1/mail/accounts/demo", headers=account.headers).status_code in (200, 201)
        listed = api.get("/api/v1/emails?limit=1", headers=account.headers).json()["data"]
        yield Served(api, account, listed[0]["id"])


def requests_for(s: Served) -> dict[str, tuple[str, str, str, dict[str, Any] | None]]:
    """name -> (method, path, the route template it is counted under, JSON body)."""
    return {
        "search": ("GET", "/api/v1/emails?limit=2", "/api/v1/emails", None),
        "read": ("GET", f"/api/v1/emails/{s.message_id}", "/api/v1/emails/{message_id}", None),
        "read-missing": ("GET", "/api/v1/emails/does-not-exist", "/api/v1/emails/{message_id}", None),
        "me": ("GET", "/api/v1/auth/me", "/api/v1/auth/me", None),
        "bad-login": ("POST", "/api/v1/auth/login", "/api/v1/auth/login", {"email": "x@example.com", "password": "no"}),
        "invalid": ("POST", "/api/v1/auth/login", "/api/v1/auth/login", {"email": 5}),
        "unknown-api": ("GET", "/api/v1/no/such/thing", "unmatched", None),
    }


REQUEST_NAMES = ["bad-login", "invalid", "me", "read", "read-missing", "search", "unknown-api"]


def counted(found: dict[Key, float], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: value for (metric, labels), value in found.items() if metric == name}


@pytest.mark.property(77)
@settings(max_examples=60, deadline=None)  # each example is a dozen requests through the whole app
@given(names=st.lists(st.sampled_from(REQUEST_NAMES), max_size=12))
def test_property_77_every_request_is_counted_and_timed_under_its_route_template(
    served: Served, names: list[str]
) -> None:
    routes = requests_for(served)
    assert sorted(routes) == REQUEST_NAMES
    before = scrape(served.api)
    expected: Counter[tuple[str, str, str]] = Counter()
    for name in names:
        method, path, route, body = routes[name]
        r = served.api.client.request(method, path, json=body, headers=served.account.headers)
        expected[(method, route, str(r.status_code))] += 1
    after = scrape(served.api)

    def delta(name: str) -> dict[tuple[tuple[str, str], ...], float]:
        old, new = counted(before, name), counted(after, name)
        changed = {k: v - old.get(k, 0) for k, v in new.items() if v != old.get(k, 0)}
        return {k: v for k, v in changed.items() if ("route", "/metrics") not in k}  # the scrape itself

    assert delta("mailagent_http_requests_total") == {
        (("method", m), ("route", r), ("status", s)): float(n) for (m, r, s), n in expected.items()
    }
    timed: Counter[tuple[str, str]] = Counter()
    for (m, r, _), n in expected.items():
        timed[(m, r)] += n
    assert delta("mailagent_http_request_duration_seconds_count") == {
        (("method", m), ("route", r)): float(n) for (m, r), n in timed.items()
    }
    assert not any(served.message_id in str(labels) for labels in counted(after, "mailagent_http_requests_total"))


def wait_for_gauge(api: Api, expected: float) -> None:
    """The hub counts a connection from its handshake to the end of its handler, which runs on the test client's
    portal thread: wait (generous ceiling) until the scraped gauge says `expected`."""
    deadline = time.monotonic() + 60
    while True:
        value = scrape(api)[("mailagent_websocket_connections", ())]
        if value == expected or time.monotonic() > deadline:
            assert value == expected
            return
        time.sleep(0.02)


@pytest.mark.property(79)
@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=1, max_size=8))
def test_property_79_the_connections_gauge_is_the_number_of_open_websockets(
    served: Served, steps: list[tuple[bool, int]]
) -> None:
    """Open and close WebSocket clients in any order: after each step the gauge equals the number open."""
    with ExitStack() as stack:
        open_ones: list[ExitStack] = []
        for opening, pick in steps:
            if opening or not open_ones:
                one = ExitStack()
                ws = one.enter_context(
                    served.api.client.websocket_connect(
                        "/api/v1/ws", subprotocols=["mailagent.v1", f"bearer.{served.account.access_token}"]
                    )
                )
                assert ws.receive_json()["type"] == "ready"
                open_ones.append(one)
                stack.callback(one.close)
            else:
                open_ones.pop(pick % len(open_ones)).close()
            wait_for_gauge(served.api, float(len(open_ones)))
    wait_for_gauge(served.api, 0.0)
