"""The audit log as an admin reads it (issue 17, item 8): actors by e-mail and name, filtered by e-mail, routine
entries hidden on request, and the current filter exported as CSV (admin only, audited)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.support.app import PASSWORD, Api


def _signup_named(api: Api, email: str, name: str) -> Any:
    r = api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": name})
    assert r.status_code == 201, r.text
    api.verify(email)
    return api.login(email)


def test_actors_are_named_and_filtered_by_email_with_noise_hidden(api: Api, admin: Any) -> None:
    alice = _signup_named(api, "alice@example.com", "Alice Liddell")
    bob = api.signup("bob@example.com")
    for _ in range(3):
        assert api.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 200
        alice = api.login("alice@example.com")

    logs = api.get(
        "/api/v1/admin/audit-logs", params={"actor": "ALICE@example.com", "limit": 500}, headers=admin.headers
    )
    assert logs.status_code == 200, logs.text
    entries = logs.json()["data"]
    assert entries and all(e["actor_id"] == alice.user_id for e in entries)
    assert {(e["actor_email"], e["actor_name"]) for e in entries} == {("alice@example.com", "Alice Liddell")}
    assert "auth.refresh" in {e["action"] for e in entries}

    quiet = api.get(
        "/api/v1/admin/audit-logs",
        params=[("actor", "alice@example.com"), ("exclude_action", "auth.refresh"), ("exclude_action", "mail.search")],
        headers=admin.headers,
    ).json()
    assert quiet["data"] and "auth.refresh" not in {e["action"] for e in quiet["data"]}
    assert quiet["meta"]["total"] == len(entries) - sum(e["action"] == "auth.refresh" for e in entries)

    everyone = api.get("/api/v1/admin/audit-logs", params={"limit": 500}, headers=admin.headers).json()["data"]
    bobs = [e for e in everyone if e["actor_id"] == bob.user_id]
    assert bobs and all(e["actor_email"] == "bob@example.com" and e["actor_name"] is None for e in bobs)

    nobody = api.get("/api/v1/admin/audit-logs", params={"actor": "nobody@example.com"}, headers=admin.headers)
    assert nobody.status_code == 200 and nobody.json()["data"] == [] and nobody.json()["meta"]["total"] == 0
    assert api.get("/api/v1/admin/audit-logs", params={"actor": "a@b.c"}, headers=alice.headers).status_code == 403


def test_csv_export_streams_the_current_filter_and_is_audited(api: Api, admin: Any) -> None:
    mallory = _signup_named(api, "mallory@example.com", '=HYPERLINK("http://evil.example")')
    api.post("/api/v1/auth/refresh", json={"refresh_token": mallory.refresh_token})
    api.signup("carol@example.com")

    refused = api.get("/api/v1/admin/audit-logs/export.csv", headers=mallory.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"]

    r = api.get(
        "/api/v1/admin/audit-logs/export.csv",
        params=[("actor", "mallory@example.com"), ("exclude_action", "auth.refresh")],
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="audit-log-' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    page = api.get(
        "/api/v1/admin/audit-logs",
        params=[("actor", "mallory@example.com"), ("exclude_action", "auth.refresh"), ("limit", "500")],
        headers=admin.headers,
    ).json()["data"]
    assert [row["action"] for row in rows] == [e["action"] for e in page]
    assert {"auth.register", "auth.verify_email", "auth.login_success"} <= {row["action"] for row in rows}
    assert all(row["actor_email"] == "mallory@example.com" for row in rows)
    # A name that a spreadsheet would run as a formula is written as text.
    assert {row["actor_name"] for row in rows} == {'\'=HYPERLINK("http://evil.example")'}

    exports = api.get(
        "/api/v1/admin/audit-logs", params={"action": "admin.audit_exported"}, headers=admin.headers
    ).json()["data"]
    assert len(exports) == 1 and exports[0]["actor_email"] == "root@example.com"
    assert exports[0]["details"]["actor"] == "mallory@example.com"
    assert exports[0]["details"]["hidden_actions"] == ["auth.refresh"]

    bad = api.get("/api/v1/admin/audit-logs/export.csv", params={"since": "yesterday"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json()["error"]["message"]


def test_csv_export_pages_through_a_log_larger_than_one_page(api: Api, admin: Any, monkeypatch: Any) -> None:
    from application.use_cases import export_audit_log

    acct = api.signup("dave@example.com")
    token = acct.refresh_token
    for _ in range(8):
        token = api.post("/api/v1/auth/refresh", json={"refresh_token": token}).json()["data"]["refresh_token"]
    total = api.get("/api/v1/admin/audit-logs", params={"limit": 1}, headers=admin.headers).json()["meta"]["total"]
    monkeypatch.setattr(export_audit_log, "PAGE_SIZE", 3)
    r = api.get("/api/v1/admin/audit-logs/export.csv", headers=admin.headers)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == total + 1  # every entry once, plus the export's own entry (the newest)
    assert rows[0]["action"] == "admin.audit_exported"
    assert len({(row["time"], row["action"], row["request_id"]) for row in rows}) == len(rows)
