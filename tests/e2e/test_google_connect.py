"""Connecting Gmail over OAuth against a local fake of Google (properties 8-11): PKCE, single-use state bound to
the user, tokens only in the SecretStore, revocation on disconnect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from application.ports.unit_of_work import AuditQuery
from tests.support.app import Api, make_app, make_settings
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http on 127.0.0.1
    with running_fake_google() as fake:
        yield fake


@pytest.fixture
def gapi(tmp_path: Path, google: FakeGoogle) -> tuple[Api, Any]:
    settings = make_settings(tmp_path, **google_settings(google))
    app, container = make_app(settings)
    return Api(app, settings), container


def connect(api: Api, google: FakeGoogle, headers: dict[str, str], email: str) -> tuple[Any, dict[str, list[str]]]:
    url = api.get("/api/v1/mail/accounts/google/authorize", params={"return_to": "/mail"}, headers=headers)
    assert url.status_code == 200, url.text
    callback = urlparse(google.consent(url.json()["data"]["url"], email))
    answer = api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    return answer, parse_qs(urlparse(answer.headers.get("location", "")).query)


@pytest.mark.property(8)
def test_consent_url_asks_for_offline_access_with_pkce_and_state(gapi: tuple[Api, Any], google: FakeGoogle) -> None:
    api, _ = gapi
    me = api.signup("ann@example.com")
    url = api.get("/api/v1/mail/accounts/google/authorize", headers=me.headers).json()["data"]["url"]
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert url.startswith(google.base_url + "/o/oauth2/auth")
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert "gmail.modify" in query["scope"] and "gmail.send" in query["scope"] and "calendar" in query["scope"]
    assert query["redirect_uri"] == "http://127.0.0.1:8000/api/v1/mail/accounts/google/callback"
    assert "." in query["state"] and len(query["state"]) > 40


@pytest.mark.property(8, 9, 40)
def test_connect_stores_tokens_only_in_the_secret_store_and_lists_the_account(
    gapi: tuple[Api, Any], google: FakeGoogle, tmp_path: Path
) -> None:
    api, container = gapi
    me = api.signup("ann@example.com")
    answer, params = connect(api, google, me.headers, "Ann.Person@gmail.com")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("http://127.0.0.1:8000/mail?connected=")
    accounts = api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]
    assert [(a["provider"], a["address"], a["status"]) for a in accounts] == [
        ("google", "ann.person@gmail.com", "active")
    ]
    assert accounts[0]["id"] == params["connected"][0]
    # The code was exchanged with the PKCE verifier (the fake refuses a wrong one) and no secret leaked out.
    assert google.token_requests[-1]["grant_type"] == "authorization_code"
    access, refresh = next(iter(google.access)), next(iter(google.refresh))
    database = (tmp_path / "var" / "mailagent.db").read_bytes()
    assert access.encode() not in database and refresh.encode() not in database
    for path in (tmp_path / "var" / "secrets").rglob("*"):
        if path.is_file():
            assert refresh.encode() not in path.read_bytes()  # encrypted at rest
    with container.uow() as uow:
        stored = uow.mail_accounts.list_for_user(me.user_id)[0]
    assert stored.secret_ref and refresh in container.secret_store().get(stored.secret_ref)
    assert all(refresh not in str(v) for v in accounts[0].values())


@pytest.mark.property(8)
def test_state_is_single_use_and_a_wrong_state_connects_nothing(gapi: tuple[Api, Any], google: FakeGoogle) -> None:
    api, _ = gapi
    me = api.signup("bo@example.com")
    url = api.get("/api/v1/mail/accounts/google/authorize", headers=me.headers).json()["data"]["url"]
    callback = urlparse(google.consent(url, "bo@gmail.com"))
    first = api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert "connected=" in first.headers["location"]
    replay = api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert replay.status_code == 303 and "connect_error=" in replay.headers["location"]
    forged = api.get(f"{callback.path}?state=abc.def&code=4/x", follow_redirects=False)
    assert "connect_error=" in forged.headers["location"]
    denied = api.get(f"{callback.path}?state=abc.def&error=access_denied", follow_redirects=False)
    assert "connect_error=" in denied.headers["location"]
    assert len(api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]) == 1


@pytest.mark.property(10)
def test_accounts_are_isolated_between_users(gapi: tuple[Api, Any], google: FakeGoogle) -> None:
    api, container = gapi
    ann, bob = api.signup("ann@example.com"), api.signup("bob@example.com")
    connect(api, google, ann.headers, "ann@gmail.com")
    connect(api, google, bob.headers, "bob@gmail.com")
    ann_accounts = api.get("/api/v1/mail/accounts", headers=ann.headers).json()["data"]
    bob_accounts = api.get("/api/v1/mail/accounts", headers=bob.headers).json()["data"]
    assert [a["address"] for a in ann_accounts] == ["ann@gmail.com"]
    assert [a["address"] for a in bob_accounts] == ["bob@gmail.com"]
    # Bob cannot disconnect (or even see) Ann's account.
    gone = api.delete(f"/api/v1/mail/accounts/{ann_accounts[0]['id']}", headers=bob.headers)
    assert gone.status_code == 404
    with container.uow() as uow:
        ann_ref = uow.mail_accounts.list_for_user(ann.user_id)[0].secret_ref
        bob_ref = uow.mail_accounts.list_for_user(bob.user_id)[0].secret_ref
    secrets = container.secret_store()
    assert ann_ref != bob_ref and secrets.get(ann_ref) != secrets.get(bob_ref)


@pytest.mark.property(11)
def test_disconnect_revokes_at_google_deletes_the_secret_and_is_audited(
    gapi: tuple[Api, Any], google: FakeGoogle
) -> None:
    api, container = gapi
    me = api.signup("cy@example.com")
    connect(api, google, me.headers, "cy@gmail.com")
    account = api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"][0]
    with container.uow() as uow:
        ref = uow.mail_accounts.get(account["id"]).secret_ref
    refresh = next(iter(google.refresh))
    assert api.delete(f"/api/v1/mail/accounts/{account['id']}", headers=me.headers).status_code == 200
    assert refresh in google.revoked
    assert not container.secret_store().exists(ref)
    assert api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"] == []
    with container.uow() as uow:
        events, _ = uow.audit.query(AuditQuery(actor_id=me.user_id))
    actions = [e.action for e in events]
    assert "mail.account_disconnected" in actions and "mail.account_connected" in actions


def test_without_google_configuration_connect_says_so(api: Api) -> None:
    me = api.signup("dee@example.com")
    r = api.get("/api/v1/mail/accounts/google/authorize", headers=me.headers)
    assert r.status_code == 501
    assert "MAILAGENT_GOOGLE_CLIENT_ID" in r.json()["error"]["message"]
