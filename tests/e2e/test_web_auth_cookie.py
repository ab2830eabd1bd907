"""Browser mode of the auth API: the refresh token lives in an HttpOnly cookie, never in a script's reach."""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.app import PASSWORD, Api, make_app, make_settings

COOKIE = "mailagent_refresh"
CSRF = {"X-Requested-With": "mailagent"}


def _set_cookie(response: Any) -> Any:
    """The one Set-Cookie of the refresh cookie in a response (a Morsel), or None."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    assert len(found) <= 1, found
    if not found:
        return None
    jar: SimpleCookie = SimpleCookie()
    jar.load(found[0])
    return jar[COOKIE]


def _browser_login(api: Api, email: str) -> tuple[str, str]:
    """Log in in browser mode; the access token and the cookie's refresh token."""
    r = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD, "refresh_cookie": True})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["refresh_token"] is None
    cookie = _set_cookie(r)
    assert cookie is not None and cookie.value
    return r.json()["data"]["access_token"], cookie.value


def _refresh_with_cookie(api: Api, value: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    api.client.cookies.clear()  # exactly this cookie, whatever the client's jar holds
    return api.post("/api/v1/auth/refresh", headers={"Cookie": f"{COOKIE}={value}", **(headers or {})}, **kwargs)


def _me(api: Api, access: str) -> int:
    return int(api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code)


def test_login_in_browser_mode_sets_an_httponly_strict_cookie_and_no_token_in_the_body(api: Api) -> None:
    api.register("carol@example.com")
    api.verify("carol@example.com")
    r = api.post(
        "/api/v1/auth/login", json={"email": "carol@example.com", "password": PASSWORD, "refresh_cookie": True}
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["refresh_token"] is None and data["access_token"]
    cookie = _set_cookie(r)
    assert cookie is not None and cookie.value.count(".") == 1  # the opaque <id>.<secret> refresh token
    raw = next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/api/v1/auth"
    assert cookie["max-age"] == str(api.settings.refresh_token_ttl_seconds)
    assert "secure" not in raw.lower()  # plain http and an http public URL: a Secure cookie would never come back
    assert _me(api, data["access_token"]) == 200


def test_cookie_refresh_rotates_the_cookie_and_a_replayed_cookie_ends_the_session(api: Api) -> None:
    api.register("dan@example.com")
    api.verify("dan@example.com")
    _, first = _browser_login(api, "dan@example.com")

    rotated = _refresh_with_cookie(api, first, CSRF)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()["data"]
    assert body["refresh_token"] is None  # the new one went into the cookie, not the body
    second = _set_cookie(rotated)
    assert second is not None and second.value and second.value != first
    assert second["httponly"] is True and second["path"] == "/api/v1/auth"
    assert _me(api, body["access_token"]) == 200

    # The old cookie again (stolen?): the session ends, and the answer clears the cookie.
    replay = _refresh_with_cookie(api, first, CSRF)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "authentication_failed"
    cleared = _set_cookie(replay)
    assert cleared is not None and cleared.value == "" and cleared["max-age"] == "0"
    assert cleared["path"] == "/api/v1/auth"
    assert _me(api, body["access_token"]) == 401
    assert _refresh_with_cookie(api, second.value, CSRF).status_code == 401


def test_the_client_jar_round_trip_works_like_a_browser(api: Api) -> None:
    """No hand-made Cookie header: the client keeps and sends the cookie by its path, as a browser does."""
    api.register("erin@example.com")
    api.verify("erin@example.com")
    _browser_login(api, "erin@example.com")
    for _ in range(2):
        r = api.post("/api/v1/auth/refresh", headers=CSRF)
        assert r.status_code == 200, r.text
        assert _me(api, r.json()["data"]["access_token"]) == 200


def test_cookie_refresh_without_the_csrf_header_is_refused_and_keeps_the_session(api: Api) -> None:
    api.register("fay@example.com")
    api.verify("fay@example.com")
    _, token = _browser_login(api, "fay@example.com")

    for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
        refused = _refresh_with_cookie(api, token, headers)
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert error["code"] == "permission_denied"
        assert "X-Requested-With: mailagent" in error["message"]
        assert _set_cookie(refused) is None  # a forged request must not sign the user out either
    # The token was not consumed by the refused attempts.
    assert _refresh_with_cookie(api, token, CSRF).status_code == 200


def test_no_token_in_the_body_and_no_cookie_is_a_clear_401(api: Api) -> None:
    for kwargs in ({}, {"json": {}}, {"json": {"refresh_token": None}}):
        api.client.cookies.clear()
        r = api.post("/api/v1/auth/refresh", headers=CSRF, **kwargs)
        assert r.status_code == 401, (kwargs, r.text)
        assert r.json()["error"] == {
            "code": "authentication_failed",
            "message": "You are signed out: sign in again.",
            "details": [],
        }
        assert r.headers["www-authenticate"] == "Bearer"


def test_logout_clears_the_cookie_and_the_cookie_is_dead_afterwards(api: Api) -> None:
    api.register("gus@example.com")
    api.verify("gus@example.com")
    access, token = _browser_login(api, "gus@example.com")
    out = api.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {access}"})
    assert out.status_code == 200, out.text
    cleared = _set_cookie(out)
    assert cleared is not None and cleared.value == "" and cleared["max-age"] == "0"
    assert cleared["path"] == "/api/v1/auth"
    assert _refresh_with_cookie(api, token, CSRF).status_code == 401


def test_body_mode_is_unchanged_and_wins_over_a_cookie(api: Api) -> None:
    acct = api.signup("hal@example.com")  # the default: no cookie, the refresh token in the body
    assert acct.refresh_token
    _, cookie_token = _browser_login(api, "hal@example.com")  # a second session, in browser mode

    r = _refresh_with_cookie(api, cookie_token, json={"refresh_token": acct.refresh_token})
    assert r.status_code == 200, r.text  # no CSRF header needed: the token came in the body, not a cookie
    assert r.json()["data"]["refresh_token"] and r.json()["data"]["refresh_token"] != acct.refresh_token
    assert _set_cookie(r) is None
    # The cookie's session was not touched.
    assert _refresh_with_cookie(api, cookie_token, CSRF).status_code == 200

    plain = api.post("/api/v1/auth/login", json={"email": "hal@example.com", "password": PASSWORD})
    assert plain.json()["data"]["refresh_token"] and _set_cookie(plain) is None


def test_the_cookie_is_secure_over_https_or_with_an_https_public_url(tmp_path: Path) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("https://testserver", {}),
        ("http://testserver", {"public_url": "https://mail.example.com"}),
    ]
    for n, (base_url, overrides) in enumerate(cases):
        settings = make_settings(tmp_path / str(n), **overrides)
        app, _ = make_app(settings)
        api = Api(app, settings)
        api.client = TestClient(app, base_url=base_url, raise_server_exceptions=False)
        api.register("ivy@example.com")
        api.verify("ivy@example.com")
        r = api.post(
            "/api/v1/auth/login", json={"email": "ivy@example.com", "password": PASSWORD, "refresh_cookie": True}
        )
        assert r.status_code == 200, r.text
        cookie = _set_cookie(r)
        assert cookie is not None and cookie["secure"] is True, (base_url, overrides)
        api.client.close()
