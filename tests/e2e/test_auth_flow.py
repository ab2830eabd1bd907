"""The whole identity story over HTTP, as a person does it with curl (the issue's "done when")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.app import PASSWORD, Api, outbox_link


def test_register_verify_login_me_api_key_revoke_and_admin_sees_audit(api: Api, admin: Any, settings: Any) -> None:
    # Register: pending until the e-mail link is opened.
    user = api.register("alice@example.com")
    assert user["status"] == "pending" and user["role"] == "user"
    refused = api.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert "Confirm your e-mail" in refused.json()["error"]["message"]

    # The verification link sits in the outbox as an .eml file.
    eml = sorted(settings.outbox_dir.glob("*.eml"))
    assert eml and "alice@example.com" in eml[-1].read_text()
    api.verify("alice@example.com")
    alice = api.login("alice@example.com")

    me = api.get("/api/v1/auth/me", headers=alice.headers)
    assert me.status_code == 200
    assert me.json()["data"]["email"] == "alice@example.com"
    assert me.json()["data"]["auth"] == "session"

    # An API key works exactly like the JWT, limited to its scopes.
    created = api.post("/api/v1/api-keys", json={"name": "laptop", "scopes": ["mail:read"]}, headers=alice.headers)
    assert created.status_code == 201, created.text
    key = created.json()["data"]["key"]
    assert key.startswith("mak_") and created.json()["data"]["prefix"] == key[:12]
    via_key = api.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert via_key.status_code == 200
    assert via_key.json()["data"]["id"] == alice.user_id
    assert via_key.json()["data"]["scopes"] == ["mail:read"]
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listed = api.get("/api/v1/api-keys", headers=alice.headers).json()["data"]
    assert [k["name"] for k in listed] == ["laptop"] and "key" not in listed[0]

    revoke = api.delete(f"/api/v1/api-keys/{created.json()['data']['id']}", headers=alice.headers)
    assert revoke.status_code == 200 and revoke.json()["data"]["revoked_at"]
    after = api.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "authentication_failed"

    # The admin sees all of it in the audit log.
    logs = api.get("/api/v1/admin/audit-logs", params={"user_id": alice.user_id, "limit": 100}, headers=admin.headers)
    assert logs.status_code == 200
    actions = [e["action"] for e in logs.json()["data"]]
    for expected in (
        "auth.register",
        "auth.login_failure",
        "auth.verify_email",
        "auth.login_success",
        "api_key.created",
        "api_key.revoked",
    ):
        assert expected in actions, (expected, actions)
    entry = logs.json()["data"][0]
    assert entry["ip"] and entry["request_id"] and entry["user_agent"] is not None
    # Non-admins are refused.
    assert api.get("/api/v1/admin/audit-logs", headers=alice.headers).status_code == 403


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    acct = api.signup("bob@example.com")
    first = api.post("/api/v1/auth/refresh", json={"refresh_token": acct.refresh_token})
    assert first.status_code == 200
    new_access, new_refresh = first.json()["data"]["access_token"], first.json()["data"]["refresh_token"]
    assert new_refresh != acct.refresh_token
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"}).status_code == 200

    # The old refresh token comes back (stolen?): the whole session ends, the new tokens too.
    reuse = api.post("/api/v1/auth/refresh", json={"refresh_token": acct.refresh_token})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["error"]["message"]
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"}).status_code == 401
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": new_refresh}).status_code == 401


def test_logout_revokes_the_session_immediately(api: Api) -> None:
    acct = api.signup("carol@example.com")
    assert api.get("/api/v1/auth/me", headers=acct.headers).status_code == 200  # its claims are now read and kept
    assert api.post("/api/v1/auth/logout", headers=acct.headers).status_code == 200
    assert api.get("/api/v1/auth/me", headers=acct.headers).status_code == 401
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": acct.refresh_token}).status_code == 401


@pytest.mark.property(23)
def test_expired_access_token_is_refused_with_401(clocked: Any) -> None:
    api, clock, _ = clocked
    acct = api.signup("dave@example.com")
    assert api.get("/api/v1/auth/me", headers=acct.headers).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1).total_seconds())
    expired = api.get("/api/v1/auth/me", headers=acct.headers)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]
    assert expired.headers["www-authenticate"] == "Bearer"
    # ...but the refresh token still gets a new one.
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": acct.refresh_token}).status_code == 200


@pytest.mark.property(24)
def test_password_reset_is_single_use_and_signs_out_everywhere(api: Api, settings: Any) -> None:
    acct = api.signup("erin@example.com")
    r = api.post("/api/v1/auth/reset-password", json={"email": "erin@example.com"})
    assert r.status_code == 202
    unknown = api.post("/api/v1/auth/reset-password", json={"email": "nobody@example.com"})
    assert unknown.status_code == 202 and unknown.json()["data"] == r.json()["data"]  # no account enumeration
    token = outbox_link(settings, "erin@example.com", "reset-password")
    weak = api.post("/api/v1/auth/reset-password/confirm", json={"token": token, "new_password": "weak"})
    assert weak.status_code == 422 and weak.json()["error"]["details"]
    new_password = "Brand-new pass 77"
    done = api.post("/api/v1/auth/reset-password/confirm", json={"token": token, "new_password": new_password})
    assert done.status_code == 200
    again = api.post("/api/v1/auth/reset-password/confirm", json={"token": token, "new_password": new_password + "x"})
    assert again.status_code == 422 and "already used" in again.json()["error"]["message"]
    assert api.get("/api/v1/auth/me", headers=acct.headers).status_code == 401  # old session gone
    bad = api.post("/api/v1/auth/login", json={"email": "erin@example.com", "password": PASSWORD})
    assert bad.status_code == 401
    api.login("erin@example.com", new_password)


def test_brute_force_is_locked_per_account_with_retry_after(api: Api) -> None:
    api.signup("frank@example.com")
    for _ in range(5):
        r = api.post("/api/v1/auth/login", json={"email": "frank@example.com", "password": "Wrong-password 1"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "Wrong e-mail or password."
    locked = api.post("/api/v1/auth/login", json={"email": "frank@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert locked.json()["error"]["code"] == "rate_limited"


def test_register_rules_are_explained_per_rule(api: Api) -> None:
    r = api.post("/api/v1/auth/register", json={"email": "gina@example.com", "password": "gina@example.com"})
    assert r.status_code == 422
    rules = {d["rule"] for d in r.json()["error"]["details"]}
    assert {"uppercase", "digit", "not_email"} <= rules and "min_length" not in rules
    api.register("gina@example.com")
    dup = api.post("/api/v1/auth/register", json={"email": "GINA@example.com", "password": PASSWORD})
    assert dup.status_code == 409


@pytest.mark.property(28)
def test_sessions_are_listed_and_revocable_only_by_their_owner(api: Api) -> None:
    a = api.signup("henry@example.com")
    second = api.login("henry@example.com")
    b = api.signup("ivy@example.com")
    mine = api.get("/api/v1/auth/sessions", headers=a.headers).json()["data"]
    assert len(mine) == 2 and sum(s["current"] for s in mine) == 1
    other = next(s for s in mine if not s["current"])
    assert api.delete(f"/api/v1/auth/sessions/{other['id']}", headers=b.headers).status_code == 404
    assert api.get("/api/v1/auth/me", headers=second.headers).status_code == 200
    assert api.delete(f"/api/v1/auth/sessions/{other['id']}", headers=a.headers).status_code == 200
    assert api.get("/api/v1/auth/me", headers=second.headers).status_code == 401


def test_intranet_local_addresses_can_register_and_sign_in(api: Api) -> None:
    """Self-hosted teams often have name@company.local addresses (and the demo admin is admin@mailagent.local)."""
    acct = api.signup("ops@company.local")
    assert api.get("/api/v1/auth/me", headers=acct.headers).json()["data"]["email"] == "ops@company.local"
    refused = api.post("/api/v1/auth/login", json={"email": "x@host.invalid", "password": "Whatever-123 x"})
    assert refused.status_code == 422
