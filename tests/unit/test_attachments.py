"""Attachments on in-memory adapters: safe names, the 24-hour lifetime and holds (with a fake clock), uploads that
stream, refuse infected and oversized files, and sends that attach exactly the uploaded bytes (properties 62-66)."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.blob_store import InMemoryBlobStore
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.malware_scanner import EICAR, InMemoryMalwareScanner
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.libmagic.content_sniffer import LibmagicContentSniffer
from adapters.local_fs.blob_store import LocalBlobStore
from application.mail_compose import Compose
from application.use_cases.attachments.expire_uploads import ExpireUploads
from application.use_cases.attachments.manage_uploads import DeleteUpload, DownloadUpload, UploadRef
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.attachments.upload_attachment import UploadAttachment, UploadAttachmentInput
from domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_FILENAME_BYTES,
    AttachmentAuditAction,
    MalwareDetected,
    PayloadTooLarge,
    ScanVerdict,
    draft_holder,
    safe_filename,
    scheduled_holder,
)
from domain.audit import AuditContext
from domain.errors import Conflict, NotFound, PermissionDenied
from domain.identity import Principal, Scope
from tests.support.principals import principal_for

# ----------------------------------------------------------------------------------------------- safe names


@given(st.text(max_size=600))
def test_any_name_becomes_a_safe_one(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert not any(ch in safe for ch in '/\\<>:"|?*\r\n\t\x00')
    assert not safe.startswith(".") and safe == safe.strip()
    assert safe_filename(safe) == safe  # normalising twice changes nothing


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\Report Q3.PDF", "Report Q3.PDF"),
        ("  .hidden  ", "hidden"),
        ("a\r\nBcc: x@evil.example.txt", "a__Bcc_ x@evil.example.txt"),
        ("CON.txt", "_CON.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("Zoe\u0301.pdf", "Zo\u00e9.pdf"),  # NFC
        ("x" * 400 + ".pdf", "x" * (MAX_FILENAME_BYTES - 4) + ".pdf"),
    ],
)
def test_names_are_normalised(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected


# ----------------------------------------------------------------------------------------------- the world


class World:
    def __init__(self, tmp_path: Path | None = None) -> None:
        self.clock = InMemoryClock()
        self.store = InMemoryStore()
        self.blobs = LocalBlobStore(tmp_path) if tmp_path else InMemoryBlobStore(self.clock)
        self.scanner = InMemoryMalwareScanner()
        self.me = principal_for("u-me")
        self.other = principal_for("u-other")

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def upload(self, data: bytes, name: str = "report.pdf", who: Principal | None = None) -> object:
        use_case = UploadAttachment(self.uow(), self.blobs, self.scanner, LibmagicContentSniffer(), self.clock)
        return use_case.execute(UploadAttachmentInput(who or self.me, name, io.BytesIO(data), AuditContext()))

    def outgoing(self) -> OutgoingAttachments:
        return OutgoingAttachments(self.uow(), self.blobs, self.scanner, self.clock)

    def expire(self) -> object:
        return ExpireUploads(self.uow(), self.blobs, self.clock).execute()

    def audit_actions(self) -> list[str]:
        return [e.action for e in self.store.audit.values()]


@pytest.fixture
def world() -> World:
    return World()


PDF = b"%PDF-1.4\n" + os.urandom(2000)


def test_upload_stores_hashes_sniffs_and_names(world: World) -> None:
    up = world.upload(PDF, "../quarterly report.PDF")
    assert up.filename == "quarterly report.PDF"  # type: ignore[attr-defined]
    assert up.size == len(PDF) and up.sha256 == hashlib.sha256(PDF).hexdigest()  # type: ignore[attr-defined]
    assert up.content_type == "application/pdf" and up.verdict is ScanVerdict.CLEAN  # type: ignore[attr-defined]
    assert up.expires_at == world.clock.now() + timedelta(hours=24)  # type: ignore[attr-defined]
    assert b"".join(world.blobs.get(up.blob_key)) == PDF  # type: ignore[attr-defined]
    assert AttachmentAuditAction.UPLOADED in world.audit_actions()


def test_the_client_cannot_choose_the_type(world: World) -> None:
    up = world.upload(b"MZ\x90\x00" + bytes(200), "harmless.pdf")
    assert up.content_type != "application/pdf"  # type: ignore[attr-defined]


def test_infected_upload_is_refused_named_audited_and_not_stored(world: World) -> None:
    with pytest.raises(MalwareDetected, match=r"'invoice\.com' was refused on upload"):
        world.upload(EICAR, "invoice.com")
    assert world.audit_actions() == [AttachmentAuditAction.BLOCKED]
    assert next(iter(world.store.audit.values())).details["filename"] == "invoice.com"
    assert world.blobs.keys == []  # type: ignore[attr-defined]


@pytest.mark.property(62)
def test_one_byte_over_the_limit_is_refused(world: World) -> None:
    with pytest.raises(PayloadTooLarge, match="25 MB"):
        world.upload(bytes(MAX_ATTACHMENT_BYTES + 1))
    assert world.blobs.keys == []  # type: ignore[attr-defined]
    exact = world.upload(bytes(MAX_ATTACHMENT_BYTES), "zeros.bin")
    assert exact.size == MAX_ATTACHMENT_BYTES  # type: ignore[attr-defined]


def test_a_read_only_key_cannot_upload(world: World) -> None:
    reader = principal_for("u-me", frozenset({Scope.MAIL_READ}))
    with pytest.raises(PermissionDenied):
        world.upload(PDF, who=reader)


def test_only_the_owner_reaches_an_upload(world: World) -> None:
    up = world.upload(PDF)
    download = DownloadUpload(world.uow(), world.blobs, world.clock)
    assert b"".join(download.execute(UploadRef(world.me, up.id)).chunks or ()) == PDF  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        download.execute(UploadRef(world.other, up.id))  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        world.outgoing().collect(world.other, Compose(attachment_ids=(up.id,)), AuditContext(), when="on send")  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        DeleteUpload(world.uow(), world.blobs, world.clock).execute(UploadRef(world.other, up.id))  # type: ignore[attr-defined]


@pytest.mark.property(63, 66)
@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=5))
def test_collected_attachments_are_exactly_the_uploaded_bytes(contents: list[bytes]) -> None:
    world = World()
    ups = [world.upload(c, f"f{i}.bin") for i, c in enumerate(contents)]
    collected = world.outgoing().collect(
        world.me,
        Compose(attachment_ids=tuple(u.id for u in ups)),
        AuditContext(),
        when="on send",  # type: ignore[attr-defined]
    )
    assert [a.content for a in collected.compose.attachments] == contents
    assert [a.filename for a in collected.compose.attachments] == [f"f{i}.bin" for i in range(len(contents))]
    assert collected.compose.attachment_ids == ()


def test_bytes_changed_in_storage_are_refused(world: World) -> None:
    up = world.upload(PDF)
    world.blobs.put(up.blob_key, io.BytesIO(b"tampered"), content_type="application/pdf")  # type: ignore[attr-defined]
    with pytest.raises(Conflict, match="changed in storage"):
        world.outgoing().collect(world.me, Compose(attachment_ids=(up.id,)), AuditContext(), when="on send")  # type: ignore[attr-defined]


def test_infected_inline_attachment_is_refused_on_send(world: World) -> None:
    from domain.mail import OutgoingAttachment

    compose = Compose(attachments=(OutgoingAttachment(filename="x.com", mime_type="application/x", content=EICAR),))
    with pytest.raises(MalwareDetected, match=r"'x\.com' was refused on send"):
        world.outgoing().collect(world.me, compose, AuditContext(), when="on send")
    assert world.audit_actions() == [AttachmentAuditAction.BLOCKED]


@pytest.mark.property(62)
def test_the_combined_size_is_limited(world: World) -> None:
    from application.mail_compose import to_outgoing
    from domain.mail import EmailAddress

    big = [world.upload(bytes(13 * 1024 * 1024), f"half{i}.bin") for i in range(2)]
    collected = world.outgoing().collect(
        world.me,
        Compose(to=("a@example.com",), attachment_ids=tuple(u.id for u in big)),
        AuditContext(),
        when="x",  # type: ignore[attr-defined]
    )

    class Plain:
        def sanitize(self, html: str) -> str:
            return html

    with pytest.raises(PayloadTooLarge, match="25 MB"):
        to_outgoing(collected.compose, sender=EmailAddress(address="me@example.com"), sanitizer=Plain())


# ----------------------------------------------------------------------------------------------- lifetime


@pytest.mark.property(65)
def test_unused_uploads_expire_after_24_hours(world: World) -> None:
    up = world.upload(PDF)
    world.clock.advance(hours=23, minutes=59)
    assert world.expire().uploads == 0  # type: ignore[attr-defined]
    world.clock.advance(minutes=1)
    assert world.expire().uploads == 1  # type: ignore[attr-defined]
    assert world.blobs.keys == []  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        world.outgoing().collect(world.me, Compose(attachment_ids=(up.id,)), AuditContext(), when="on send")  # type: ignore[attr-defined]
    assert AttachmentAuditAction.EXPIRED in world.audit_actions()


@pytest.mark.property(65)
def test_an_expired_upload_cannot_be_attached_before_the_sweep(world: World) -> None:
    up = world.upload(PDF)
    world.clock.advance(hours=25)
    with pytest.raises(NotFound, match="expired"):
        world.outgoing().collect(world.me, Compose(attachment_ids=(up.id,)), AuditContext(), when="on send")  # type: ignore[attr-defined]


@pytest.mark.property(65)
def test_drafts_and_scheduled_mail_keep_theirs_until_done(world: World) -> None:
    kept, released, loose = world.upload(PDF, "a.pdf"), world.upload(PDF, "b.pdf"), world.upload(PDF, "c.pdf")
    out = world.outgoing()
    out.hold([kept], scheduled_holder("s1"))  # type: ignore[list-item]
    out.hold([released, kept], draft_holder("acc", "d1"))  # type: ignore[list-item]
    out.hold([kept], draft_holder("acc", "d1"))  # type: ignore[list-item]  # the draft re-saved without b.pdf
    world.clock.advance(hours=30)
    assert world.expire().uploads == 2  # type: ignore[attr-defined]  # b (released at hour 0) and c
    out.release(scheduled_holder("s1"))
    world.clock.advance(hours=30)
    assert world.expire().uploads == 0  # type: ignore[attr-defined]  # the draft still holds it
    out.release(draft_holder("acc", "d1"))
    world.clock.advance(hours=23)
    assert world.expire().uploads == 0  # type: ignore[attr-defined]
    world.clock.advance(hours=1)
    assert world.expire().uploads == 1  # type: ignore[attr-defined]
    assert loose.id not in world.store.attachments or world.store.attachments[loose.id] is None  # type: ignore[attr-defined]


def test_a_scheduled_upload_cannot_be_deleted(world: World) -> None:
    up = world.upload(PDF)
    world.outgoing().hold([up], scheduled_holder("s1"))  # type: ignore[list-item]
    with pytest.raises(Conflict, match="scheduled"):
        DeleteUpload(world.uow(), world.blobs, world.clock).execute(UploadRef(world.me, up.id))  # type: ignore[attr-defined]


@pytest.mark.property(65)
def test_stray_blobs_without_a_record_are_swept(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.upload(PDF)
    world.blobs.put("uploads/u-me/orphan", io.BytesIO(b"crashed"), content_type="text/plain")
    world.blobs.put("uploads/u-me/held", io.BytesIO(b"kept"), content_type="text/plain", temporary=False)
    world.clock.set(world.clock.now().replace(year=2100))  # far past the local files' real mtime
    result = world.expire()
    assert (result.uploads, result.strays) == (1, 1)  # type: ignore[attr-defined]
    assert [b.key for b in world.blobs.list_older_than("uploads/", world.clock.now())] == ["uploads/u-me/held"]
