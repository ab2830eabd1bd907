"""The conversation view (issue 17): GET /emails/conversations lists one row per thread with its message count, as
Gmail does, and each user's choice of view is kept with the user (PATCH /auth/me conversation_view)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import Account, Api, make_app, make_settings

URL = "/api/v1/emails/conversations"


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Api, Account]:
    settings = make_settings(tmp_path, demo_mailbox_size=60, rate_limit_per_minute=100_000)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("threads@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    return api, me


def data(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_one_row_per_conversation_with_the_threads_count(demo: tuple[Api, Account]) -> None:
    api, me = demo
    rows = data(api.get(URL, params={"label": "INBOX", "limit": 500}, headers=me.headers))
    messages = data(api.get("/api/v1/emails", params={"label": "INBOX", "limit": 500}, headers=me.headers))
    threads = Counter(m["thread_id"] for m in messages)
    assert [r["thread_id"] for r in rows] == list(dict.fromkeys(m["thread_id"] for m in messages))  # newest first
    assert any(n > 1 for n in threads.values()), "the demo inbox has conversations of several messages"
    for row in rows:
        thread = data(api.get(f"/api/v1/emails/{row['id']}/thread", headers=me.headers))
        visible = [m for m in thread["messages"] if not {"TRASH", "SPAM"} & set(m["label_ids"])]
        assert row["count"] == len(visible) >= threads[row["thread_id"]]
        assert row["message_ids"] == [m["id"] for m in visible]
        newest_match = next(m for m in messages if m["thread_id"] == row["thread_id"])
        assert row["id"] == newest_match["id"] and row["subject"] == newest_match["subject"]
        assert row["unread"] == any(m["unread"] for m in visible)
        senders = list(dict.fromkeys(m["from"]["address"].lower() for m in visible if m["from"]))
        assert [p["address"].lower() for p in row["participants"]] == senders


def test_a_reply_joins_its_row_and_raises_the_count(demo: tuple[Api, Account]) -> None:
    api, me = demo
    before = data(api.get(URL, params={"label": "INBOX", "limit": 500}, headers=me.headers))
    row = before[0]
    r = api.post(f"/api/v1/emails/{row['id']}/reply", json={"text_body": "On my way."}, headers=me.headers)
    assert r.status_code == 200, r.text
    after = data(api.get(URL, params={"label": "INBOX", "limit": 500}, headers=me.headers))
    same = [x for x in after if x["thread_id"] == row["thread_id"]]
    assert len(same) == 1 and same[0]["count"] == row["count"] + 1
    assert r.json()["data"]["id"] in same[0]["message_ids"]
    assert len(after) == len(before)  # no new row: the reply is in the conversation


def test_bad_input_is_refused_readably(demo: tuple[Api, Account]) -> None:
    api, me = demo
    assert api.get(URL, params={"limit": 0}, headers=me.headers).status_code == 422
    assert api.get(URL, params={"account": "not-mine"}, headers=me.headers).status_code == 404
    assert api.get(URL).status_code == 401


def test_the_choice_of_view_is_kept_with_the_user(demo: tuple[Api, Account]) -> None:
    api, me = demo
    assert data(api.get("/api/v1/auth/me", headers=me.headers))["conversation_view"] is True  # Gmail's default
    changed = data(api.patch("/api/v1/auth/me", json={"conversation_view": False}, headers=me.headers))
    assert changed["conversation_view"] is False
    again = api.login(me.email)  # a new session reads it from the database
    assert data(api.get("/api/v1/auth/me", headers=again.headers))["conversation_view"] is False
    # And from the snapshot of who is calling that the first request left behind, on every later request of both
    # sessions (the snapshot had no room for the choice: the second /auth/me said true again, and the web app
    # went back to conversations after a reload).
    for account in (me, again, me, again):
        assert data(api.get("/api/v1/auth/me", headers=account.headers))["conversation_view"] is False
    other = api.signup("someone-else@example.com")
    assert data(api.get("/api/v1/auth/me", headers=other.headers))["conversation_view"] is True  # per user
    bad = api.patch("/api/v1/auth/me", json={"conversation_view": "sometimes"}, headers=me.headers)
    assert bad.status_code == 422 and bad.json()["error"]["message"]
