"""The mail API on the demo mailbox, as a person uses it: search, read a thread, reply, drafts, bulk labels —
every change visible in the next search; and nobody reaches another user's mail (properties 25-28)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.app import Account, Api, make_app, make_settings


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Api, Account, str]:
    settings = make_settings(tmp_path, demo_mailbox_size=120)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("demo-user@example.com")
    r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert r.status_code == 201, r.text
    return api, me, r.json()["data"]["id"]


def search(api: Api, me: Account, q: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/api/v1/emails", params={"q": q, "limit": 500, **params}, headers=me.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_connecting_the_demo_mailbox_gives_a_living_inbox(demo: tuple[Api, Account, str]) -> None:
    api, me, account_id = demo
    again = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert again.json()["data"]["id"] == account_id  # idempotent
    inbox = search(api, me, "in:inbox")
    assert len(inbox) > 20
    assert any(m["unread"] for m in inbox) and any(m["has_attachments"] for m in search(api, me, ""))
    dates = [m["date"] for m in inbox]
    labels = api.get("/api/v1/labels", headers=me.headers).json()["data"]
    names = {label["name"] for label in labels}
    assert {"INBOX", "SENT", "UNREAD"} <= names and any(label["type"] == "user" for label in labels)
    unread = next(label for label in labels if label["id"] == "UNREAD")
    assert unread["messages_unread"] == unread["messages_total"] > 0
    assert len(dates) == len(inbox)


def test_search_operators_return_only_matching_mail(demo: tuple[Api, Account, str]) -> None:
    api, me, _ = demo
    everything = search(api, me, "")
    sender = everything[0]["from"]["address"]
    from_sender = search(api, me, f"from:{sender}")
    assert from_sender and all(m["from"]["address"] == sender for m in from_sender)
    unread = search(api, me, "is:unread")
    assert unread and all(m["unread"] for m in unread)
    read = search(api, me, "-is:unread")
    assert not {m["id"] for m in read} & {m["id"] for m in unread}
    with_files = search(api, me, "has:attachment")
    assert with_files and all(m["has_attachments"] for m in with_files)
    word = everything[0]["subject"].split()[0]
    assert any(m["id"] == everything[0]["id"] for m in search(api, me, f'subject:"{word}"'))
    # Pagination walks every message exactly once.
    seen, token = [], None
    while True:
        params = {"q": "", "limit": 7, **({"page_token": token} if token else {})}
        page = api.get("/api/v1/emails", params=params, headers=me.headers).json()
        seen += [m["id"] for m in page["data"]]
        token = page["meta"]["next_page_token"]
        if not token:
            break
    assert seen == [m["id"] for m in everything]
    bad = api.get("/api/v1/emails", params={"q": "after:not-a-date"}, headers=me.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"


def test_read_a_thread_reply_and_see_it_in_the_thread(demo: tuple[Api, Account, str]) -> None:
    api, me, _ = demo
    first = search(api, me, "in:inbox")[0]
    message = api.get(f"/api/v1/emails/{first['id']}", headers=me.headers).json()["data"]
    assert message["text_body"] and message["from"]
    thread = api.get(f"/api/v1/emails/{first['id']}/thread", headers=me.headers).json()["data"]
    dates = [m["date"] for m in thread["messages"]]
    assert dates == sorted(dates) and first["id"] in [m["id"] for m in thread["messages"]]

    reply = api.post(
        f"/api/v1/emails/{first['id']}/reply", json={"text_body": "Sounds good — see you there."}, headers=me.headers
    )
    assert reply.status_code == 200, reply.text
    sent = reply.json()["data"]
    assert sent["subject"].lower().startswith("re:") and "SENT" in sent["label_ids"]
    assert sent["thread_id"] == thread["id"]
    assert sent["to"][0]["address"] == message["from"]["address"]
    after = api.get(f"/api/v1/emails/{first['id']}/thread", headers=me.headers).json()["data"]
    assert after["messages"][-1]["id"] == sent["id"]
    assert "see you there" in after["messages"][-1]["text_body"]
    assert sent["id"] in [m["id"] for m in search(api, me, "in:sent")]


def test_drafts_create_update_send_and_delete(demo: tuple[Api, Account, str]) -> None:
    api, me, _ = demo
    body = {"to": ["Zoë Example <zoe@example.org>"], "subject": "Offsite agenda ✓", "text_body": "Draft one"}
    created = api.post("/api/v1/emails/draft", json=body, headers=me.headers)
    assert created.status_code == 201, created.text
    draft_id = created.json()["data"]["id"]
    updated = api.put(f"/api/v1/emails/draft/{draft_id}", json={**body, "text_body": "Draft two"}, headers=me.headers)
    assert updated.json()["data"]["message"]["text_body"].startswith("Draft two")
    listed = api.get("/api/v1/emails/drafts", headers=me.headers).json()["data"]
    assert draft_id in [d["id"] for d in listed]
    sent = api.post(f"/api/v1/emails/draft/{draft_id}/send", headers=me.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["to"][0] == {"name": "Zoë Example", "address": "zoe@example.org"}
    found = search(api, me, 'in:sent subject:"Offsite agenda"')
    assert [m["id"] for m in found] == [sent.json()["data"]["id"]]
    assert draft_id not in [d["id"] for d in api.get("/api/v1/emails/drafts", headers=me.headers).json()["data"]]
    other = api.post("/api/v1/emails/draft", json=body, headers=me.headers).json()["data"]["id"]
    assert api.delete(f"/api/v1/emails/draft/{other}", headers=me.headers).status_code == 200
    assert api.get(f"/api/v1/emails/draft/{other}", headers=me.headers).status_code == 404


def test_send_is_idempotent_with_a_key_and_validates_input(demo: tuple[Api, Account, str]) -> None:
    api, me, _ = demo
    body = {"to": ["bob@example.com"], "subject": "Hello", "text_body": "Hi Bob", "html_body": "<p onclick=x()>Hi</p>"}
    headers = {**me.headers, "Idempotency-Key": "send-1"}
    first = api.post("/api/v1/emails/send", json=body, headers=headers).json()["data"]
    second = api.post("/api/v1/emails/send", json=body, headers=headers).json()["data"]
    assert first["id"] == second["id"] and "onclick" not in (first["html"] or "")
    assert len(search(api, me, 'in:sent subject:"Hello"')) == 1
    for bad in (
        {"to": ["not an address"], "subject": "x"},
        {"to": ["a@example.com"], "subject": "line\r\nBcc: evil@example.com"},
        {"to": ["a@example.com\r\nBcc: evil@example.com"]},
        {"to": [], "subject": "nobody"},
    ):
        r = api.post("/api/v1/emails/send", json=bad, headers=me.headers)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] == "validation_failed"


def test_labels_in_bulk_and_remove_show_in_the_next_search(demo: tuple[Api, Account, str]) -> None:
    api, me, _ = demo
    created = api.post("/api/v1/labels", json={"name": "Follow up"}, headers=me.headers)
    assert created.status_code == 201
    label_id = created.json()["data"]["id"]
    assert api.post("/api/v1/labels", json={"name": "follow UP"}, headers=me.headers).status_code == 409
    ids = [m["id"] for m in search(api, me, "is:unread")[:5]]
    r = api.post("/api/v1/emails/batch-modify", json={"ids": ids, "add": ["Follow up"], "remove": ["UNREAD"]},
                 headers=me.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    tagged = search(api, me, 'label:"Follow up"')
    assert sorted(m["id"] for m in tagged) == sorted(ids) and not any(m["unread"] for m in tagged)
    assert api.delete(f"/api/v1/emails/{ids[0]}/labels/{label_id}", headers=me.headers).status_code == 200
    assert ids[0] not in [m["id"] for m in search(api, me, 'label:"Follow up"')]
    assert (
        api.post(f"/api/v1/emails/{ids[0]}/labels", json={"label_ids": [label_id]}, headers=me.headers).status_code
        == 200
    )
    unknown = api.post("/api/v1/emails/batch-modify", json={"ids": ids, "add": ["Label_nope"]}, headers=me.headers)
    assert unknown.status_code == 404


@pytest.mark.property(25, 26)
def test_another_users_mail_is_never_reachable(demo: tuple[Api, Account, str]) -> None:
    api, me, account_id = demo
    mine = search(api, me, "")[0]
    draft = api.post("/api/v1/emails/draft", json={"to": ["a@example.com"]}, headers=me.headers).json()["data"]["id"]
    label = api.post("/api/v1/labels", json={"name": "Private"}, headers=me.headers).json()["data"]["id"]
    other = api.signup("other@example.com")
    api.post("/api/v1/mail/accounts/demo", headers=other.headers)
    for method, path, kwargs in [
        ("get", "/api/v1/emails", {"params": {"account": account_id}}),
        ("get", f"/api/v1/emails/{mine['id']}", {"params": {"account": account_id}}),
        ("get", f"/api/v1/emails/draft/{draft}", {}),
        ("delete", f"/api/v1/mail/accounts/{account_id}", {}),
        ("post", f"/api/v1/emails/{mine['id']}/labels", {"json": {"label_ids": [label]}}),
    ]:
        r = getattr(api, method)(path, headers=other.headers, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
        assert mine["subject"] not in r.text
    assert label not in [x["id"] for x in api.get("/api/v1/labels", headers=other.headers).json()["data"]]


def test_mail_needs_a_connected_account_and_the_right_scope(api: Api) -> None:
    me = api.signup("new@example.com")
    r = api.get("/api/v1/emails", headers=me.headers)
    assert r.status_code == 404 and "Connect a mailbox" in r.json()["error"]["message"]
    api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    key = api.post("/api/v1/api-keys", json={"name": "ro", "scopes": ["mail:read"]}, headers=me.headers)
    headers = {"X-API-Key": key.json()["data"]["key"]}
    assert api.get("/api/v1/emails", headers=headers).status_code == 200
    denied = api.post("/api/v1/emails/send", json={"to": ["a@example.com"], "text_body": "x"}, headers=headers)
    assert denied.status_code == 403 and "mail:send" in denied.json()["error"]["message"]
