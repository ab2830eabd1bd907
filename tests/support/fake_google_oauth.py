"""A local stand-in for Google's OAuth endpoints (consent, token, revoke) and Gmail's profile call.

It checks what Google checks: the client, the redirect URI, single-use codes and the PKCE S256 challenge.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class FakeGoogle:
    client_id: str = "test-client.apps.googleusercontent.com"
    client_secret: str = "GOCSPX-test-client-secret-0123456789"
    base_url: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # access token -> email
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> email
    revoked: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Hooks so a fake Gmail can accept what this fake issues: (email, access token, refresh token or None).
    on_issue: Callable[[str, str, str | None], None] | None = None
    on_revoke: Callable[[str], None] | None = None
    # The account a browser "signs in" with on the consent page (tests driving a real browser).
    browser_email: str = "someone@gmail.example"
    # Scopes the user leaves unticked on the consent page (Google's granular consent): not granted.
    withheld: set[str] = field(default_factory=set)
    # What each address has granted so far: with include_granted_scopes=true a new grant adds to it.
    granted: dict[str, set[str]] = field(default_factory=dict)

    def consent(self, authorization_url: str, email: str) -> str:
        """Play the user clicking "Allow": returns the callback URL Google would redirect the browser to."""
        query = {k: v[0] for k, v in parse_qs(urlparse(authorization_url).query).items()}
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "code"
        code = "4/" + secrets.token_urlsafe(24)
        with self.lock:
            allowed = {s for s in query.get("scope", "").split() if s not in self.withheld}
            if query.get("include_granted_scopes") == "true":
                allowed |= self.granted.get(email, set())
            self.granted[email] = allowed
            self.codes[code] = {
                "email": email,
                "challenge": query.get("code_challenge", ""),
                "redirect_uri": query["redirect_uri"],
                "scope": " ".join(sorted(allowed)),
            }
        granted = " ".join(sorted(allowed))
        return f"{query['redirect_uri']}?{urlencode({'state': query['state'], 'code': code, 'scope': granted})}"

    def issue(self, email: str) -> tuple[str, str]:
        access, refresh = "ya29." + secrets.token_urlsafe(40), "1//0" + secrets.token_urlsafe(40)
        with self.lock:
            self.access[access] = email
            self.refresh[refresh] = email
        if self.on_issue:
            self.on_issue(email, access, refresh)
        return access, refresh

    def revoke_grant_of(self, email: str) -> None:
        """Play the user removing our app at myaccount.google.com."""
        with self.lock:
            for token, owner in list(self.refresh.items()) + list(self.access.items()):
                if owner == email:
                    self.revoked.add(token)
        if self.on_revoke:
            self.on_revoke(email)


def _handler(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length", "0"))
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            form = self._form()
            if path == "/revoke":
                token = form.get("token") or parse_qs(urlparse(self.path).query).get("token", [""])[0]
                with fake.lock:
                    known = token in fake.refresh or token in fake.access
                    fake.revoked.add(token)
                    email = fake.refresh.get(token) or fake.access.get(token)
                    if email:  # revoking a grant kills every token of it
                        fake.revoked.update(t for t, e in [*fake.refresh.items(), *fake.access.items()] if e == email)
                if email and fake.on_revoke:
                    fake.on_revoke(email)
                self._json(200 if known else 400, {} if known else {"error": "invalid_token"})
                return
            if path != "/token":
                self._json(404, {"error": "not_found"})
                return
            fake.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):  # client authentication may come as HTTP Basic (RFC 6749 2.3.1)
                from urllib.parse import unquote

                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", unquote(user))
                form.setdefault("client_secret", unquote(password))
            if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
                self._json(401, {"error": "invalid_client"})
                return
            if form.get("grant_type") == "authorization_code":
                with fake.lock:
                    grant = fake.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                    return
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge != grant["challenge"]:
                    self._json(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
                    return
                access, refresh = fake.issue(grant["email"])
                self._json(
                    200,
                    {
                        "access_token": access,
                        "refresh_token": refresh,
                        "expires_in": 3599,
                        "scope": grant["scope"],
                        "token_type": "Bearer",
                    },
                )
                return
            if form.get("grant_type") == "refresh_token":
                token = form.get("refresh_token", "")
                with fake.lock:
                    email = fake.refresh.get(token)
                    bad = email is None or token in fake.revoked
                if bad:
                    self._json(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )
                    return
                access = "ya29." + secrets.token_urlsafe(40)
                with fake.lock:
                    fake.access[access] = email  # type: ignore[assignment]
                if fake.on_issue and email:
                    fake.on_issue(email, access, None)
                self._json(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"})
                return
            self._json(400, {"error": "unsupported_grant_type"})

        def _html(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _consent_page(self) -> None:
            # What a browser sees at Google: a choice to allow the app. The form carries the original query on.
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[0])}">'
                for k, v in parse_qs(urlparse(self.path).query).items()
            )
            self._html(
                200,
                '<!doctype html><html lang="en"><head><title>Sign in - Google (test double)</title></head><body>'
                "<main><h1>mailagent wants to access your Google Account</h1>"
                f'<form method="get" action="/o/oauth2/approve">{fields}'
                f'<label>Account <input name="email" value="{html.escape(fake.browser_email)}"></label>'
                "<button type=submit>Allow</button></form></main></body></html>",
            )

        def _approve(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            email = query.pop("email", [fake.browser_email])[0]
            callback = fake.consent(f"{fake.base_url}/o/oauth2/auth?{urlencode(query, doseq=True)}", email)
            self.send_response(302)
            self.send_header("Location", callback)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == "/o/oauth2/auth":
                self._consent_page()
                return
            if path == "/o/oauth2/approve":
                self._approve()
                return
            if path == "/favicon.ico":  # a browser on the consent page asks for it
                self.send_response(204)
                self.end_headers()
                return
            if path != "/gmail/v1/users/me/profile":
                self._json(404, {"error": "not_found"})
                return
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            with fake.lock:
                email = fake.access.get(token)
                valid = email is not None and token not in fake.revoked
            if not valid:
                self._json(401, {"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}})
                return
            self._json(200, {"emailAddress": email, "messagesTotal": 0, "threadsTotal": 0, "historyId": "1"})

    return Handler


@contextmanager
def running_fake_google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def google_settings(fake: FakeGoogle) -> dict[str, Any]:
    """Settings that point the app's Google OAuth client at the fake."""
    return {
        "google_client_id": fake.client_id,
        "google_client_secret": fake.client_secret,
        "google_auth_uri": f"{fake.base_url}/o/oauth2/auth",
        "google_token_uri": f"{fake.base_url}/token",
        "google_revoke_uri": f"{fake.base_url}/revoke",
        "gmail_api_root": f"{fake.base_url}/",
    }
