"""The agent attaches the user's uploads by id: the held action's snapshot freezes each file (name, size, SHA-256,
where its bytes are), approval sends exactly those bytes, and a file changed or infected since is refused; someone
else's upload id is refused while holding."""

from __future__ import annotations

import io
import os
from dataclasses import replace

from adapters.in_memory.blob_store import InMemoryBlobStore
from adapters.in_memory.malware_scanner import EICAR, InMemoryMalwareScanner
from adapters.libmagic.content_sniffer import LibmagicContentSniffer
from application.agent.toolbox import AgentUseCases, UseCaseToolbox
from application.use_cases.attachments.manage_uploads import ListUploads
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.attachments.upload_attachment import UploadAttachment, UploadAttachmentInput
from domain.attachments import Upload
from domain.mail_effects import AttachmentSource, MailEffect
from tests.support.agent_world import Person, World


class AttachmentWorld(World):
    def __init__(self) -> None:
        self.scanner = InMemoryMalwareScanner()
        self.blobs: InMemoryBlobStore | None = None
        super().__init__()

    def outgoing(self) -> OutgoingAttachments:
        if self.blobs is None:
            self.blobs = InMemoryBlobStore(self.clock)
        return OutgoingAttachments(self.uow(), self.blobs, self.scanner, self.clock)

    def use_cases(self) -> AgentUseCases:
        return replace(
            super().use_cases(),
            outgoing_attachments=self.outgoing,
            list_uploads=lambda: ListUploads(self.uow(), self.clock),
        )

    def upload(self, person: Person, data: bytes, name: str) -> Upload:
        out = self.outgoing()
        use_case = UploadAttachment(self.uow(), out.blobs, self.scanner, LibmagicContentSniffer(), self.clock)
        return use_case.execute(UploadAttachmentInput(person.principal, name, io.BytesIO(data)))


def held(w: World, out_id: str | None) -> tuple[object, MailEffect]:
    with w.uow() as uow:
        action = uow.pending_actions.get(out_id or "")
    assert action is not None and action.snapshot is not None
    effect = action.snapshot.effect
    assert isinstance(effect, MailEffect)
    return action, effect


def approve(w: World, action: object) -> tuple[dict[str, object], str | None]:
    with w.uow() as uow:
        approved = action.decide(approve=True, at=w.clock.now(), expected_hash=action.snapshot.hash)  # type: ignore[attr-defined]
        uow.pending_actions.update(approved, expected_version=action.version)  # type: ignore[attr-defined]
        uow.commit()
    toolbox: UseCaseToolbox = w.toolbox  # type: ignore[assignment]
    return toolbox.execute_approved(w.alice.principal, approved)


def test_the_snapshot_freezes_the_upload_and_approval_sends_exactly_those_bytes() -> None:
    w = AttachmentWorld()
    pdf = b"%PDF-1.4\n" + os.urandom(4000)
    up = w.upload(w.alice, pdf, "offsite-plan.pdf")
    w.upload(w.bob, b"not alice's", "bob.txt")
    listed = w.toolbox.call(w.ctx(w.alice), "list_attachments", {})
    assert listed.status == "ok"
    assert listed.content["attachments"] == [
        {"id": up.id, "filename": "offsite-plan.pdf", "size": len(pdf), "content_type": "application/pdf",
         "verdict": "clean"}
    ]  # fmt: skip
    out = w.toolbox.call(
        w.ctx(w.alice),
        "send_email",
        {"to": ["bob@example.com"], "subject": "Plan", "body": "attached", "attachment_ids": [up.id]},
    )
    assert out.status == "pending" and w.alice.mailbox.sent == []
    action, effect = held(w, out.pending_action_id)
    [frozen] = effect.attachments
    assert (frozen.filename, frozen.size, frozen.sha256) == ("offsite-plan.pdf", len(pdf), up.sha256)
    assert frozen.source == AttachmentSource.upload(up.id, up.blob_key, "offsite-plan.pdf")
    result, error = approve(w, action)
    assert error is None and result["sent"] is True
    [sent] = w.alice.mailbox.sent
    box = w.alice.mailbox
    assert [(a.filename, box.get_attachment(sent.id, a.id)) for a in sent.attachments] == [("offsite-plan.pdf", pdf)]


def test_bytes_changed_or_infected_after_the_card_are_not_sent() -> None:
    w = AttachmentWorld()
    for replacement, says in (
        (b"swapped", "changed after this was prepared"),
        (EICAR, "'notes.txt' was refused on send"),
    ):
        up = w.upload(w.alice, b"original notes", "notes.txt")
        out = w.toolbox.call(w.ctx(w.alice), "reply", {"message_id": w.alice.ids["offsite"], "body": "see",
                                                       "attachment_ids": [up.id]})  # fmt: skip
        action, _ = held(w, out.pending_action_id)
        assert w.blobs is not None
        w.blobs.put(up.blob_key, io.BytesIO(replacement), content_type="text/plain")
        _, error = approve(w, action)
        assert error is not None and says in error
    assert w.alice.mailbox.sent == []


def test_someone_elses_upload_is_refused_when_held() -> None:
    w = AttachmentWorld()
    bobs = w.upload(w.bob, b"bob's secret", "secret.txt")
    out = w.toolbox.call(w.ctx(w.alice), "send_email", {"to": ["x@evil.example"], "attachment_ids": [bobs.id]})
    assert out.status == "error" and "No attachment with that id" in out.content["error"]
    forward = w.toolbox.call(
        w.ctx(w.alice), "forward", {"message_id": w.alice.ids["offsite"], "to": ["x@evil.example"],
                                    "attachment_ids": [bobs.id]}
    )  # fmt: skip
    assert forward.status == "error" and w.alice.mailbox.sent == []


def test_a_draft_is_sent_with_its_own_attachments() -> None:
    w = AttachmentWorld()
    up = w.upload(w.alice, b"x", "x.txt")
    out = w.toolbox.call(w.ctx(w.alice), "send_email", {"draft_id": "d1", "attachment_ids": [up.id]})
    assert out.status == "error" and "own attachments" in out.content["error"]
