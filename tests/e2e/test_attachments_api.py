"""Attachments over HTTP on the embedded default with a real clamd: upload once (streamed, 25 MB, sniffed, scanned),
attach by id to send, draft, reply, forward and schedule, download (owner only), delete; EICAR raw, zipped and
base64 inside a MIME part is refused on upload, on send and on download, and audited (properties 62-66)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.in_memory.malware_scanner import EICAR
from domain.mail import EmailAddress, OutgoingAttachment
from domain.mail_account import MailAccount
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.clamd import Clamd, clamd, eicar_mime, eicar_zip  # noqa: F401  (fixture)
from tests.support.mailbox_seed import incoming_raw

UPLOAD = "/api/v1/attachments/upload"
PDF = b"%PDF-1.4\n" + os.urandom(50_000)


class World:
    def __init__(self, api: Api, container: Any, me: Account, account_id: str) -> None:
        self.api, self.container, self.me, self.account_id = api, container, me, account_id

    def upload(self, data: bytes, name: str = "report.pdf", who: Account | None = None) -> Any:
        return self.api.post(
            UPLOAD, files={"file": (name, io.BytesIO(data), "image/png")}, headers=(who or self.me).headers
        )

    def uploaded(self, data: bytes, name: str = "report.pdf") -> dict[str, Any]:
        r = self.upload(data, name)
        assert r.status_code == 201, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def audit(self, action: str) -> list[Any]:
        with self.container.uow() as uow:
            return [e for e in uow.audit.all_in_order() if e.action == action]

    def mailbox(self) -> Any:
        with self.container.uow() as uow:
            account: MailAccount = uow.mail_accounts.get(self.account_id)
        return self.container.mailboxes().open(account)

    def sent_attachment(self, message: dict[str, Any], index: int = 0) -> bytes:
        attachment = message["attachments"][index]
        r = self.api.get(attachment["download_url"], headers=self.me.headers)
        assert r.status_code == 200, r.text
        return r.content  # type: ignore[no-any-return]


def world_for(tmp_path: Path, **overrides: Any) -> Iterator[World]:
    settings = make_settings(tmp_path, demo_mailbox_size=5, **overrides)
    app, container = make_app(settings)
    api = Api(app, settings)
    me = api.signup("owner@example.com")
    r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert r.status_code == 201, r.text
    yield World(api, container, me, r.json()["data"]["id"])
    api.client.close()


@pytest.fixture
def world(tmp_path: Path, clamd: Clamd) -> Iterator[World]:  # noqa: F811
    yield from world_for(tmp_path, clamd_address=clamd.tcp)


def test_upload_answers_id_size_hash_type_and_verdict(world: World) -> None:
    data = world.uploaded(PDF, "../../Q3 report.pdf")
    assert data["filename"] == "Q3 report.pdf" and data["size"] == len(PDF)
    assert data["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert data["content_type"] == "application/pdf"  # the client said image/png; the bytes say PDF
    assert data["verdict"] == "clean" and data["in_use"] is False and data["expires_at"]
    again = world.api.get(f"/api/v1/attachments/{data['id']}", headers=world.me.headers).json()["data"]
    assert again == data
    download = world.api.get(f"/api/v1/attachments/{data['id']}/download", headers=world.me.headers)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''Q3%20report.pdf"
    gone = world.api.delete(f"/api/v1/attachments/{data['id']}", headers=world.me.headers)
    assert gone.status_code == 200
    assert world.api.get(f"/api/v1/attachments/{data['id']}", headers=world.me.headers).status_code == 404


@pytest.mark.parametrize(
    ("name", "sample"), [("eicar.com", EICAR), ("archive.zip", eicar_zip()), ("mail.eml", eicar_mime())]
)
def test_eicar_is_refused_on_upload_named_and_audited(world: World, name: str, sample: bytes) -> None:
    r = world.upload(sample, name)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "malware_detected" and f"'{name}' was refused on upload" in error["message"]
    blocked = world.audit("attachment.blocked")
    assert len(blocked) == 1 and blocked[0].details["filename"] == name and blocked[0].details["when"] == "upload"
    assert not list((world.api.settings.attachments_dir).rglob("*.json"))  # nothing was stored


@pytest.mark.property(64)
def test_send_attaches_the_uploaded_bytes_and_the_sent_copy_has_them(world: World) -> None:
    a, b = world.uploaded(PDF, "a.pdf"), world.uploaded(b"hello plain text", "b.txt")
    r = world.api.post(
        "/api/v1/emails/send",
        json={"to": ["bob@example.com"], "subject": "files", "text_body": "see", "attachment_ids": [a["id"], b["id"]]},
        headers=world.me.headers,
    )
    assert r.status_code == 200, r.text
    sent = r.json()["data"]
    assert [x["filename"] for x in sent["attachments"]] == ["a.pdf", "b.txt"]
    assert world.sent_attachment(sent, 0) == PDF and world.sent_attachment(sent, 1) == b"hello plain text"


def test_inline_json_attachments_still_work_and_are_scanned(world: World) -> None:
    good = {"filename": "n.txt", "mime_type": "text/plain", "content_base64": base64.b64encode(b"note").decode()}
    r = world.api.post(
        "/api/v1/emails/send", json={"to": ["bob@example.com"], "attachments": [good]}, headers=world.me.headers
    )
    assert r.status_code == 200 and world.sent_attachment(r.json()["data"]) == b"note"
    for name, sample in (("x.com", EICAR), ("x.zip", eicar_zip()), ("x.eml", eicar_mime())):
        bad = {
            "filename": name,
            "mime_type": "application/octet-stream",
            "content_base64": base64.b64encode(sample).decode(),
        }
        r = world.api.post(
            "/api/v1/emails/send", json={"to": ["bob@example.com"], "attachments": [bad]}, headers=world.me.headers
        )
        assert r.status_code == 422 and f"'{name}' was refused on send" in r.json()["error"]["message"]
    assert [e.details["when"] for e in world.audit("attachment.blocked")] == ["on send"] * 3


@pytest.mark.property(64)
def test_received_attachments_pass_the_scanner_before_download(world: World) -> None:
    files = [
        OutgoingAttachment(filename="fine.txt", mime_type="text/plain", content=b"fine"),
        OutgoingAttachment(filename="payload.zip", mime_type="application/zip", content=eicar_zip()),
        OutgoingAttachment(filename="eicar.com", mime_type="application/octet-stream", content=EICAR),
    ]
    raw = incoming_raw(
        sender=EmailAddress(address="mallory@example.org"),
        to=(EmailAddress(address="owner@example.com"),),
        subject="invoice",
        text="see attached",
        attachments=files,
        date=datetime.now(UTC),
    )
    message_id = world.mailbox().deliver(raw, ["INBOX", "UNREAD"])
    message = world.api.get(f"/api/v1/emails/{message_id}", headers=world.me.headers).json()["data"]
    by_name = {a["filename"]: a for a in message["attachments"]}
    fine = world.api.get(by_name["fine.txt"]["download_url"], headers=world.me.headers)
    assert fine.status_code == 200 and fine.content == b"fine" and fine.headers["x-scan-verdict"] == "clean"
    for name in ("payload.zip", "eicar.com"):
        r = world.api.get(by_name[name]["download_url"], headers=world.me.headers)
        assert r.status_code == 422 and f"'{name}' was refused for download" in r.json()["error"]["message"]
    assert [e.details["when"] for e in world.audit("attachment.blocked")] == ["download", "download"]
    # Forwarding it would send the infected originals: refused too.
    r = world.api.post(
        f"/api/v1/emails/{message_id}/forward", json={"to": ["bob@example.com"]}, headers=world.me.headers
    )
    assert r.status_code == 422 and "refused on forward" in r.json()["error"]["message"]


def test_reply_forward_draft_and_schedule_take_ids_and_hold_them(world: World) -> None:
    up = world.uploaded(PDF, "plan.pdf")
    inbox = world.api.get("/api/v1/emails", params={"q": "in:inbox"}, headers=world.me.headers).json()["data"]
    original = inbox[0]["id"]
    reply = world.api.post(
        f"/api/v1/emails/{original}/reply", json={"text_body": "here", "attachment_ids": [up["id"]]},
        headers=world.me.headers,
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert world.sent_attachment(reply.json()["data"], -1) == PDF
    forward = world.api.post(
        f"/api/v1/emails/{original}/forward",
        json={"to": ["carol@example.com"], "include_attachments": False, "attachment_ids": [up["id"]]},
        headers=world.me.headers,
    )
    assert forward.status_code == 200 and world.sent_attachment(forward.json()["data"]) == PDF

    draft = world.api.post(
        "/api/v1/emails/draft", json={"to": ["d@example.com"], "attachment_ids": [up["id"]]}, headers=world.me.headers
    )
    assert draft.status_code == 201, draft.text
    assert world.api.get(f"/api/v1/attachments/{up['id']}", headers=world.me.headers).json()["data"]["in_use"]
    draft_id = draft.json()["data"]["id"]
    assert world.api.delete(f"/api/v1/emails/draft/{draft_id}", headers=world.me.headers).status_code == 200
    released = world.api.get(f"/api/v1/attachments/{up['id']}", headers=world.me.headers).json()["data"]
    assert not released["in_use"] and released["expires_at"]

    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT09:00:00")
    scheduled = world.api.post(
        "/api/v1/emails/schedule",
        json={
            "to": ["e@example.com"],
            "send_at": later,
            "timezone": "UTC",
            "attachment_ids": [up["id"]],
        },
        headers=world.me.headers,
    )
    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["data"]["attachments"] == 1
    held = world.api.get(f"/api/v1/attachments/{up['id']}", headers=world.me.headers).json()["data"]
    assert held["in_use"] and held["expires_at"] is None
    refused = world.api.delete(f"/api/v1/attachments/{up['id']}", headers=world.me.headers)
    assert refused.status_code == 409 and "scheduled" in refused.json()["error"]["message"]
    sid = scheduled.json()["data"]["id"]
    assert world.api.delete(f"/api/v1/emails/scheduled/{sid}", headers=world.me.headers).status_code == 200
    assert not world.api.get(f"/api/v1/attachments/{up['id']}", headers=world.me.headers).json()["data"]["in_use"]


@pytest.mark.property(26)
def test_another_users_attachment_is_not_found_anywhere(world: World) -> None:
    mine = world.uploaded(PDF)
    other = world.api.signup("other@example.com")
    world.api.post("/api/v1/mail/accounts/demo", headers=other.headers)
    for method, path in (
        ("get", f"/api/v1/attachments/{mine['id']}"),
        ("get", f"/api/v1/attachments/{mine['id']}/download"),
        ("delete", f"/api/v1/attachments/{mine['id']}"),
    ):
        r = getattr(world.api, method)(path, headers=other.headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    r = world.api.post(
        "/api/v1/emails/send", json={"to": ["x@example.com"], "attachment_ids": [mine["id"]]}, headers=other.headers
    )
    assert r.status_code == 404
    assert world.api.get(f"/api/v1/attachments/{mine['id']}", headers=world.me.headers).status_code == 200


def test_bad_uploads_get_a_clear_answer(world: World) -> None:
    r = world.api.post(UPLOAD, json={"file": "x"}, headers=world.me.headers)
    assert r.status_code == 422 and "multipart/form-data" in r.json()["error"]["message"]
    r = world.api.post(UPLOAD, files={"other": ("a.txt", b"x")}, headers=world.me.headers)
    assert r.status_code == 422 and "part named 'file'" in r.json()["error"]["message"]
    r = world.api.post(UPLOAD, files=[("file", ("a.txt", b"x")), ("file", ("b.txt", b"y"))], headers=world.me.headers)
    assert r.status_code == 422 and "exactly one file" in r.json()["error"]["message"]
    assert world.api.post(UPLOAD, files={"file": ("a.txt", b"x")}).status_code == 401


def test_without_clamd_the_embedded_default_says_not_scanned(tmp_path: Path) -> None:
    for w in world_for(tmp_path):
        data = w.uploaded(EICAR, "eicar.com")
        assert data["verdict"] == "not_scanned"


def test_production_without_a_scanner_refuses_attachments(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    from tests.support.app import Api as ApiClient

    settings = make_settings(
        tmp_path, profile="production", database_url=postgres_url, redis_url=redis_url, run_jobs_in_process=False
    )
    app, container = make_app(settings)
    api = ApiClient(app, settings)
    from application.use_cases.create_user import CreateUserInput

    container.create_user().execute(CreateUserInput(email="ops@example.com", password="Ops-pass 1234!", admin=False))
    me = api.login("ops@example.com", "Ops-pass 1234!")
    r = api.post(UPLOAD, files={"file": ("a.txt", b"x")}, headers=me.headers)
    assert r.status_code == 501 and "MAILAGENT_CLAMD_ADDRESS" in r.json()["error"]["message"]
