"""Properties 25 (email query isolation) and 26 (cross-user data access prevention) as a state machine over HTTP:
two users with their own demo mailboxes send mail, keep drafts and make labels with words only they use, in any
order, while each keeps searching for every word and reaching for the other's messages, drafts and labels by id.
A search only ever finds its caller's own mail; naming the other's mail account is 404 everywhere; naming the
other's ids reaches at most one's own items, never gives away a word and changes nothing of theirs; the other's
labels and drafts are never listed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from tests.support.app import Account, Api, make_app, make_settings
from tests.support.properties import for_profile

API = "/api/v1"


@dataclass
class User:
    account: Account
    mail_account: str


@dataclass
class Wrote:
    """What one user made during one example (the users and their mailboxes outlive examples)."""

    user: User
    words: set[str] = field(default_factory=set)  # words only this user ever wrote
    messages: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class Env:
    api: Api
    users: list[User]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = make_settings(
        tmp_path_factory.mktemp("mail-isolation"),
        demo_mailbox_size=10,
        rate_limit_per_minute=1_000_000,
        anonymous_rate_limit_per_minute=1_000_000,
    )
    app, _ = make_app(settings)
    api = Api(app, settings)
    with api.client:
        users = []
        for name in ("alice", "bob"):
            account = api.signup(f"{name}-isolation@example.com")
            r = api.post(f"{API}/mail/accounts/demo", headers=account.headers)
            assert r.status_code == 201, r.text
            users.append(User(account, r.json()["data"]["id"]))
        yield Env(api, users)


class MailIsolation(RuleBasedStateMachine):
    env: Env

    def __init__(self) -> None:
        super().__init__()
        self.api = self.env.api
        self.users = [Wrote(user) for user in self.env.users]

    def word(self) -> str:
        return "zq" + uuid.uuid4().hex[:12]

    @rule(who=st.integers(0, 1))
    def send(self, who: int) -> None:
        user, word = self.users[who], self.word()
        body = {"to": ["someone@example.org"], "subject": f"Plan {word}", "text_body": f"About {word}."}
        r = self.api.post(f"{API}/emails/send", json=body, headers=user.user.account.headers)
        assert r.status_code in (200, 201), r.text
        user.words.add(word)
        user.messages.append(r.json()["data"]["id"])

    @rule(who=st.integers(0, 1))
    def draft(self, who: int) -> None:
        user, word = self.users[who], self.word()
        body = {"to": ["someone@example.org"], "subject": f"Draft {word}", "text_body": word}
        r = self.api.post(f"{API}/emails/draft", json=body, headers=user.user.account.headers)
        assert r.status_code == 201, r.text
        user.words.add(word)
        user.drafts.append(r.json()["data"]["id"])

    @rule(who=st.integers(0, 1))
    def label(self, who: int) -> None:
        user, word = self.users[who], self.word()
        r = self.api.post(f"{API}/labels", json={"name": f"L{word}"}, headers=user.user.account.headers)
        assert r.status_code == 201, r.text
        user.words.add(word)
        user.labels.append(r.json()["data"]["id"])

    @precondition(lambda self: any(u.words for u in self.users))
    @rule(who=st.integers(0, 1), data=st.data())
    def search_any_word(self, who: int, data: st.DataObject) -> None:
        """Property 25: whoever wrote a word, a search for it finds exactly the caller's own mail with it."""
        user = self.users[who]
        words = sorted(self.users[0].words | self.users[1].words)
        word = data.draw(st.sampled_from(words))
        r = self.api.get(f"{API}/emails", params={"q": word, "limit": 100}, headers=user.user.account.headers)
        assert r.status_code == 200, r.text
        found = {m["id"] for m in r.json()["data"]}
        other = self.users[1 - who]
        assert not found & set(other.messages), "a search returned another user's mail"
        if word in other.words:
            assert found == set() and word not in r.text
        for message_id in user.messages:
            assert self.api.get(f"{API}/emails/{message_id}", headers=user.user.account.headers).status_code == 200

    @precondition(lambda self: any(u.messages or u.drafts or u.labels for u in self.users))
    @rule(who=st.integers(0, 1), data=st.data())
    def reach_for_the_others(self, who: int, data: st.DataObject) -> None:
        """Property 26: naming the other user's mail account is 404 whatever is asked; naming only an id of theirs
        (the demo mailboxes number their messages alike, so the id may also be one of the caller's own) reaches at
        most the caller's own item: the answer never carries the other's words and their item is left unchanged."""
        me, other = self.users[who], self.users[1 - who]
        theirs: list[tuple[str, str, dict[str, Any]]] = [
            ("get", f"{API}/emails", {}),
            ("get", f"{API}/labels", {}),
        ]
        by_id: list[tuple[str, str, dict[str, Any]]] = []
        if other.messages:
            mid = data.draw(st.sampled_from(other.messages))
            theirs += [
                ("get", f"{API}/emails/{mid}", {}),
                ("get", f"{API}/emails/{mid}/thread", {}),
                ("post", f"{API}/emails/{mid}/labels", {"json": {"label_ids": ["STARRED"]}}),
            ]
            by_id += [
                ("get", f"{API}/emails/{mid}", {}),
                ("post", f"{API}/emails/{mid}/labels", {"json": {"label_ids": ["STARRED"]}}),
            ]
        if other.drafts:
            did = data.draw(st.sampled_from(other.drafts))
            by_id += [("get", f"{API}/emails/draft/{did}", {}), ("delete", f"{API}/emails/draft/{did}", {})]
        if other.labels:
            lid = data.draw(st.sampled_from(other.labels))
            by_id.append(("delete", f"{API}/labels/{lid}", {}))
        naming_the_account = data.draw(st.booleans()) or not by_id
        method, path, kwargs = data.draw(st.sampled_from(theirs if naming_the_account else by_id))
        if naming_the_account:
            kwargs = {**kwargs, "params": {**kwargs.get("params", {}), "account": other.user.mail_account}}
        r = getattr(self.api, method)(path, headers=me.user.account.headers, **kwargs)
        if naming_the_account:
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        else:
            assert r.status_code in (200, 404), (method, path, r.status_code, r.text)
            if method == "delete" and r.status_code == 200:  # the id was also one of the caller's own: gone now
                gone = path.rsplit("/", 1)[-1]
                me.labels = [x for x in me.labels if x != gone]
                me.drafts = [x for x in me.drafts if x != gone]
        assert not any(word in r.text for word in other.words)
        self.the_others_items_are_intact(other)

    def the_others_items_are_intact(self, other: Wrote) -> None:
        headers = other.user.account.headers
        for mid in other.messages:
            r = self.api.get(f"{API}/emails/{mid}", headers=headers)
            assert r.status_code == 200, r.text
            assert "STARRED" not in r.json()["data"]["label_ids"]
        for did in other.drafts:
            assert self.api.get(f"{API}/emails/draft/{did}", headers=headers).status_code == 200
        listed = {x["id"] for x in self.api.get(f"{API}/labels", headers=headers).json()["data"]}
        assert set(other.labels) <= listed

    @rule(who=st.integers(0, 1))
    def listings_are_ones_own(self, who: int) -> None:
        me, other = self.users[who], self.users[1 - who]
        labels = self.api.get(f"{API}/labels", headers=me.user.account.headers)
        drafts = self.api.get(f"{API}/emails/drafts", params={"limit": 100}, headers=me.user.account.headers)
        for r in (labels, drafts):
            assert r.status_code == 200, r.text
            assert not any(word in r.text for word in other.words)
        assert set(me.labels) <= {x["id"] for x in labels.json()["data"]}


@pytest.mark.property(25, 26)
def test_property_25_26_users_only_ever_find_and_reach_their_own_mail(env: Env) -> None:
    MailIsolation.env = env
    run_state_machine_as_test(
        MailIsolation,
        settings=for_profile(
            settings(
                max_examples=25,
                stateful_step_count=10,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            )
        ),
    )
