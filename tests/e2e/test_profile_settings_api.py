"""A person's own settings over HTTP (issue 17, item 9 and the per-user settings): display name, undo window (used by
the server's send hold), password change, senders whose images are shown, and sessions described in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.in_memory.clock import InMemoryClock
from entrypoints.container import Container
from tests.support.app import PASSWORD, Api

ME = "/api/v1/auth/me"
NEW_PASSWORD = "Another-river 77 stones!"


def test_display_name_and_undo_window_are_kept_with_the_user(api: Api) -> None:
    me = api.signup("nia@example.com")
    assert api.get(ME, headers=me.headers).json()["data"]["undo_send_seconds"] == 10  # the default

    r = api.patch(ME, json={"display_name": "  Nia   Okafor ", "undo_send_seconds": 25}, headers=me.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["display_name"], r.json()["data"]["undo_send_seconds"]) == ("Nia Okafor", 25)
    # Another device (a new sign-in) sees the same settings: they live on the server, not in a browser.
    other = api.login("nia@example.com")
    data = api.get(ME, headers=other.headers).json()["data"]
    assert (data["display_name"], data["undo_send_seconds"]) == ("Nia Okafor", 25)
    # Only the fields given change; an empty name clears it.
    r = api.patch(ME, json={"display_name": ""}, headers=me.headers)
    assert r.json()["data"]["display_name"] is None and r.json()["data"]["undo_send_seconds"] == 25

    for bad in (
        {"undo_send_seconds": 31},
        {"undo_send_seconds": -1},
        {"undo_send_seconds": "5"},
        {"undo_send_seconds": True},
        {"display_name": "x" * 201},
        {"role": "admin"},
    ):
        refused = api.patch(ME, json=bad, headers=me.headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["message"]
    assert api.get(ME, headers=me.headers).json()["data"]["role"] == "user"

    audit = [a for a in api_admin_actions(api, me.user_id) if a == "auth.profile_updated"]
    assert len(audit) == 2


def api_admin_actions(api: Api, user_id: str) -> list[str]:
    from application.ports.unit_of_work import AuditQuery

    container = api.client.app.state.container
    with container.uow() as uow:
        events, _ = uow.audit.query(AuditQuery(actor_id=user_id, limit=500))
    return [e.action for e in events]


def test_password_change_needs_the_current_one_meets_the_policy_and_signs_out_other_sessions(api: Api) -> None:
    here = api.signup("omar@example.com")
    laptop = api.login("omar@example.com")
    phone = api.login("omar@example.com")

    wrong = api.post(
        f"{ME}/password", json={"current_password": "not it", "new_password": NEW_PASSWORD}, headers=here.headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "Your current password is not right."
    assert wrong.json()["error"]["details"][0]["field"] == "current_password"

    weak = api.post(
        f"{ME}/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=here.headers
    )
    assert weak.status_code == 422
    assert {d["field"] for d in weak.json()["error"]["details"]} == {"new_password"}
    assert "at least 12 characters" in weak.json()["error"]["message"]

    same = api.post(
        f"{ME}/password", json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=here.headers
    )
    assert same.status_code == 422 and "differs" in same.json()["error"]["message"]
    # Nothing changed so far: every session still works.
    assert all(api.get(ME, headers=a.headers).status_code == 200 for a in (here, laptop, phone))

    done = api.post(
        f"{ME}/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=here.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["data"] == {
        "message": "Your password was changed. 2 other sessions signed out.",
        "other_sessions_signed_out": 2,
    }
    assert api.get(ME, headers=here.headers).status_code == 200
    for gone in (laptop, phone):
        assert api.get(ME, headers=gone.headers).status_code == 401
        assert api.post("/api/v1/auth/refresh", json={"refresh_token": gone.refresh_token}).status_code == 401
    assert api.post("/api/v1/auth/login", json={"email": "omar@example.com", "password": PASSWORD}).status_code == 401
    api.login("omar@example.com", NEW_PASSWORD)
    key = api.post("/api/v1/api-keys", json={"name": "script"}, headers=here.headers).json()["data"]["key"]
    by_key = api.post(
        f"{ME}/password",
        json={"current_password": NEW_PASSWORD, "new_password": "Third-river 99 stones!"},
        headers={"X-API-Key": key},
    )
    assert by_key.status_code == 403 and "not with an API key" in by_key.json()["error"]["message"]
    actions = api_admin_actions(api, here.user_id)
    assert "auth.password_changed" in actions and "auth.password_change_failed" in actions
    assert NEW_PASSWORD not in str(done.text) and NEW_PASSWORD not in str(api.get(ME, headers=here.headers).text)


def test_image_senders_are_a_per_user_list(api: Api) -> None:
    me = api.signup("pia@example.com")
    other = api.signup("quinn@example.com")
    r = api.post(f"{ME}/image-senders", json={"address": "News@Shop.example"}, headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["image_senders"] == ["news@shop.example"]
    again = api.post(f"{ME}/image-senders", json={"address": "news@shop.example"}, headers=me.headers)
    assert again.json()["data"]["image_senders"] == ["news@shop.example"]  # no duplicates
    api.post(f"{ME}/image-senders", json={"address": "ana@example.com"}, headers=me.headers)
    assert api.get(ME, headers=api.login("pia@example.com").headers).json()["data"]["image_senders"] == [
        "news@shop.example",
        "ana@example.com",
    ]
    assert api.get(ME, headers=other.headers).json()["data"]["image_senders"] == []

    bad = api.post(f"{ME}/image-senders", json={"address": "not an address"}, headers=me.headers)
    assert bad.status_code == 422 and bad.json()["error"]["message"]
    removed = api.delete(f"{ME}/image-senders/NEWS@shop.example", headers=me.headers)
    assert removed.status_code == 200 and removed.json()["data"]["image_senders"] == ["ana@example.com"]
    for absent in ("news@shop.example", "not an address"):
        missing = api.delete(f"{ME}/image-senders/{absent}", headers=me.headers)
        assert missing.status_code == 404 and "not on your list" in missing.json()["error"]["message"]


def test_sessions_name_their_place_in_words(api: Api) -> None:
    from fastapi.testclient import TestClient

    me = api.signup("rae@example.com")
    for ip in ("127.0.0.1", "192.168.1.20", "203.0.113.9"):
        with TestClient(api.client.app, client=(ip, 50000)) as device:
            r = device.post("/api/v1/auth/login", json={"email": "rae@example.com", "password": PASSWORD})
            assert r.status_code == 200, r.text
    sessions = api.get("/api/v1/auth/sessions", headers=me.headers).json()["data"]
    by_ip = {s["ip"]: s["place"] for s in sessions}
    assert by_ip["127.0.0.1"] == "This computer"
    assert by_ip["192.168.1.20"] == "Local network"
    assert by_ip["203.0.113.9"] == "203.0.113.9"


def test_undo_hold_waits_for_the_users_own_window(clocked: tuple[Api, InMemoryClock, Container]) -> None:
    api, clock, _ = clocked
    me = api.signup("sol@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    body: dict[str, Any] = {"to": ["bob@example.com"], "subject": "Held", "text_body": "Hi", "undo_hold": True}

    held = api.post("/api/v1/emails/schedule", json=body, headers=me.headers)
    assert held.status_code == 201, held.text
    send_at = datetime.fromisoformat(held.json()["data"]["send_at"])
    assert send_at - clock.now().astimezone(UTC) == timedelta(seconds=10)

    api.patch(ME, json={"undo_send_seconds": 30}, headers=me.headers)
    held = api.post("/api/v1/emails/schedule", json=body, headers=me.headers)
    assert datetime.fromisoformat(held.json()["data"]["send_at"]) - clock.now() == timedelta(seconds=30)
    cancelled = api.delete(f"/api/v1/emails/scheduled/{held.json()['data']['id']}", headers=me.headers)
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"

    both = api.post("/api/v1/emails/schedule", json={**body, "send_at": "2030-01-01T00:00:00Z"}, headers=me.headers)
    assert both.status_code == 422 and "not both" in both.json()["error"]["message"]
    neither = api.post("/api/v1/emails/schedule", json={**body, "undo_hold": False}, headers=me.headers)
    assert neither.status_code == 422 and "Say when to send it" in neither.json()["error"]["message"]
