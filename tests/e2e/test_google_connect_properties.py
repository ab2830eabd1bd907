"""Properties 8 (authorization code exchange), 11 (token revocation) and 40 (no token ever exposed) as a state
machine over HTTP against the local fake of Google: two users connect Gmail addresses, replay used callbacks, bring
forged or tampered states, refuse consent, reach for each other's accounts and disconnect, in any order.

- 8: a consent with a state of ours, used once, exchanges its code (with the PKCE verifier: the fake refuses any
  other) and connects exactly that address for exactly the user who started; a replayed, forged, tampered or
  refused callback connects nothing.
- 11: disconnecting revokes the grant at Google and deletes the tokens from the secret store; the account is gone
  from the list; another user's disconnect of it is 404 and changes nothing.
- 40: no access or refresh token Google issued, nor the client secret, appears in any answer or any log line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google
from tests.support.properties import for_profile

API = "/api/v1"
# What Google's tokens and our client secret look like (the fake issues them in Google's forms).
SECRET_MARKS = ("ya29.", "1//0")


class Lines(logging.Handler):
    """Every log line of the app, formatted as it would be written (traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Env:
    api: Api
    container: Any
    google: FakeGoogle
    users: list[Account]
    log: Lines
    signed_in_at: float = field(default_factory=time.monotonic)

    def fresh_users(self) -> list[Account]:
        """The users, signed in again when their access tokens (15 minutes) may run out during the example: a
        thorough run takes longer than a token lives."""
        if time.monotonic() - self.signed_in_at > 5 * 60:
            self.users = [self.api.login(u.email, u.password) for u in self.users]
            self.signed_in_at = time.monotonic()
        return self.users


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    patch = pytest.MonkeyPatch()
    patch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http on 127.0.0.1
    log = Lines()
    root = logging.getLogger()
    root.addHandler(log)
    try:
        with running_fake_google() as google:
            settings = make_settings(
                tmp_path_factory.mktemp("google-connect"),
                rate_limit_per_minute=1_000_000,
                anonymous_rate_limit_per_minute=1_000_000,
                **google_settings(google),
            )
            app, container = make_app(settings)
            api = Api(app, settings)
            with api.client:
                users = [api.signup(f"{name}-oauth@example.com") for name in ("ann", "bob")]
                yield Env(api, container, google, users, log)
    finally:
        root.removeHandler(log)
        patch.undo()


class GoogleConnect(RuleBasedStateMachine):
    env: Env

    def __init__(self) -> None:
        super().__init__()
        self.api, self.google = self.env.api, self.env.google
        self.users = self.env.fresh_users()
        self.answers: list[str] = []  # every answer's status line, headers and body, checked for secrets
        self.log_from = len(self.env.log.lines)
        self.callbacks: list[str] = []  # callback URLs already used once (any user's)
        # The model: per user, address -> account id. Users outlive examples, their accounts do not: each example
        # starts with none (so what Hypothesis draws never depends on an earlier example).
        for who in range(len(self.env.users)):
            for account in self.listed(who):
                gone = self.api.delete(f"{API}/mail/accounts/{account['id']}", headers=self.headers(who))
                assert gone.status_code == 200, gone.text
        self.accounts: list[dict[str, str]] = [{} for _ in self.env.users]

    # -- helpers --------------------------------------------------------------------------------------------------

    def record(self, response: Any) -> Any:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.answers.append(f"{response.status_code}\n{headers}\n{response.text}")
        return response

    def headers(self, who: int) -> dict[str, str]:
        return self.users[who].headers

    def listed(self, who: int) -> list[dict[str, Any]]:
        r = self.api.get(f"{API}/mail/accounts", headers=self.headers(who))
        assert r.status_code == 200, r.text
        return [a for a in r.json()["data"] if a["provider"] == "google"]

    def authorize(self, who: int) -> str:
        r = self.record(self.api.get(f"{API}/mail/accounts/google/authorize", headers=self.headers(who)))
        assert r.status_code == 200, r.text
        url: str = r.json()["data"]["url"]
        query = parse_qs(urlparse(url).query)
        assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
        return url

    def callback(self, url: str) -> tuple[int, dict[str, list[str]]]:
        parts = urlparse(url)
        r = self.record(self.api.get(f"{parts.path}?{parts.query}", follow_redirects=False))
        return r.status_code, parse_qs(urlparse(r.headers.get("location", "")).query)

    def secret_ref(self, account_id: str) -> str | None:
        with self.env.container.uow() as uow:
            account = uow.mail_accounts.get(account_id)
        return None if account is None else account.secret_ref

    def exchanges(self, url: str) -> int:
        """How often the code of this callback URL was presented to Google. (Only this code: background work, a
        sync refreshing its access token, talks to Google's token endpoint at any moment.)"""
        code = parse_qs(urlparse(url).query).get("code", [None])[0]
        return sum(
            1
            for r in list(self.google.token_requests)
            if r.get("grant_type") == "authorization_code" and r.get("code") == code
        )

    def refused(self, url: str) -> None:
        """A callback that must connect nothing: a redirect back with a sentence, and no account changed."""
        before = [sorted(m.items()) for m in self.accounts]
        exchanged = self.exchanges(url)
        status, params = self.callback(url)
        assert status == 303 and "connect_error" in params and "connected" not in params, (status, params)
        assert params["connect_error"][0].strip().endswith(".")
        assert self.exchanges(url) == exchanged  # its code was not exchanged (again)
        assert [sorted(m.items()) for m in self.accounts] == before

    # -- rules ----------------------------------------------------------------------------------------------------

    @rule(who=st.integers(0, 1), n=st.integers(0, 2), case=st.sampled_from(["lower", "Upper"]))
    def connect(self, who: int, n: int, case: str) -> None:
        """Property 8: consent with a fresh state connects that address for that user (again: the same account)."""
        address = f"{['ann', 'bob'][who]}.mail{n}@gmail.com"
        url = self.callback_of(self.authorize(who), address if case == "lower" else address.capitalize())
        status, params = self.callback(url)
        assert status == 303 and "connected" in params, (status, params)
        assert self.exchanges(url) == 1  # exchanged once (with the PKCE verifier: the fake checks it)
        account_id = params["connected"][0]
        if address in self.accounts[who]:
            assert account_id == self.accounts[who][address]  # reconnecting keeps the account
        self.accounts[who][address] = account_id
        ref = self.secret_ref(account_id)
        assert ref is not None and self.env.container.secret_store().exists(ref)
        self.callbacks.append(url)

    def callback_of(self, authorization_url: str, email: str) -> str:
        return self.google.consent(authorization_url, email)

    @precondition(lambda self: self.callbacks)
    @rule(data=st.data())
    def replay_a_used_callback(self, data: st.DataObject) -> None:
        """Property 8: a state is single-use, whoever replays it."""
        self.refused(data.draw(st.sampled_from(self.callbacks)))

    @rule(who=st.integers(0, 1), how=st.sampled_from(["forged", "tampered", "no state", "wrong code"]))
    def bring_a_bad_state(self, who: int, how: str) -> None:
        """Property 8: a state we did not issue, or one altered on the way, connects nothing; a consent whose code
        Google does not know is refused by Google and connects nothing either."""
        url = self.callback_of(self.authorize(who), f"{['ann', 'bob'][who]}.other@gmail.com")
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        base = url.split("?", 1)[0]
        if how == "forged":
            query["state"] = "abc.def"
        elif how == "tampered":
            last = query["state"][-1]
            query["state"] = query["state"][:-1] + ("A" if last != "A" else "B")
        elif how == "no state":
            del query["state"]
        if how == "wrong code":
            query["code"] = "4/not-a-code-google-issued"
            before = [sorted(m.items()) for m in self.accounts]
            status, params = self.callback(f"{base}?{urlencode(query)}")
            assert status == 303 and "connect_error" in params and "connected" not in params, (status, params)
            assert [sorted(m.items()) for m in self.accounts] == before
            self.callbacks.append(f"{base}?{urlencode(query)}")  # its state is used up now
            return
        self.refused(f"{base}?{urlencode(query)}")

    @rule(who=st.integers(0, 1))
    def refuse_consent(self, who: int) -> None:
        """Property 8: "Deny" at Google connects nothing, and uses the state up."""
        url = self.authorize(who)
        state = parse_qs(urlparse(url).query)["state"][0]
        redirect = parse_qs(urlparse(url).query)["redirect_uri"][0]
        self.refused(f"{redirect}?{urlencode({'state': state, 'error': 'access_denied'})}")
        self.refused(f"{redirect}?{urlencode({'state': state, 'code': '4/late'})}")

    @precondition(lambda self: any(self.accounts))
    @rule(data=st.data(), by_the_other=st.booleans())
    def disconnect(self, data: st.DataObject, by_the_other: bool) -> None:
        """Property 11: disconnecting revokes at Google and deletes the tokens; nobody else can disconnect it."""
        who = data.draw(st.sampled_from([w for w, m in enumerate(self.accounts) if m]))
        address = data.draw(st.sampled_from(sorted(self.accounts[who])))
        account_id = self.accounts[who][address]
        ref = self.secret_ref(account_id)
        assert ref is not None
        store = self.env.container.secret_store()
        refresh = json.loads(store.get(ref))["refresh_token"]
        if by_the_other:
            r = self.record(self.api.delete(f"{API}/mail/accounts/{account_id}", headers=self.headers(1 - who)))
            assert r.status_code == 404, r.text
            assert refresh not in self.google.revoked and store.exists(ref)
            return
        r = self.record(self.api.delete(f"{API}/mail/accounts/{account_id}", headers=self.headers(who)))
        assert r.status_code == 200, r.text
        assert refresh in self.google.revoked
        assert not store.exists(ref)
        del self.accounts[who][address]

    # -- invariants -----------------------------------------------------------------------------------------------

    @invariant()
    def each_user_lists_exactly_their_accounts(self) -> None:
        for who, model in enumerate(self.accounts):
            listed = self.listed(who)
            assert {a["address"]: a["id"] for a in listed} == model
            assert all(a["status"] == "active" for a in listed)

    @invariant()
    def no_token_or_client_secret_is_exposed(self) -> None:
        """Property 40: in any answer (status, headers, body) and any log line since the example began."""
        marks = (*SECRET_MARKS, self.google.client_secret)
        for text in self.answers + self.env.log.lines[self.log_from :]:
            assert not any(mark in text for mark in marks), text[:300]


@pytest.mark.property(8, 11, 40)
def test_property_8_11_40_connect_replay_and_disconnect_by_two_users_never_expose_a_token(env: Env) -> None:
    GoogleConnect.env = env
    run_state_machine_as_test(
        GoogleConnect,
        settings=for_profile(
            settings(
                max_examples=15,
                stateful_step_count=8,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            )
        ),
    )
