"""Reading a frozen attachment's bytes back for the send, by the kind of its source, and refusing bytes that no
longer match the SHA-256 the person approved.

Extension point: another source kind (issue 14's uploads: `AttachmentSource("blob", {"blob_id": ...})`) is one
more entry in the readers mapping handed to MailEffects, e.g. `{**DEFAULT_READERS, "blob": read_from_blob_store}`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from application.ports.mailbox import Mailbox
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.mail_effects import AttachmentSource, FrozenAttachment

AttachmentReader = Callable[[Mailbox, AttachmentSource], bytes]


def read_mail_part(mailbox: Mailbox, source: AttachmentSource) -> bytes:
    return mailbox.get_attachment(source.ref["message_id"], source.ref["part_id"])


DEFAULT_READERS: Mapping[str, AttachmentReader] = {AttachmentSource.MAIL_PART: read_mail_part}


def read_frozen(mailbox: Mailbox, attachment: FrozenAttachment, readers: Mapping[str, AttachmentReader]) -> bytes:
    reader = readers.get(attachment.source.kind)
    if reader is None:
        raise ValidationFailed(f"Attachments from {attachment.source.kind!r} cannot be sent here.")
    try:
        data = reader(mailbox, attachment.source)
    except NotFound:
        raise Conflict(
            f"The attachment {attachment.filename!r} is no longer where it was when this was prepared; nothing "
            "was sent. Ask the agent to prepare it again."
        ) from None
    if not attachment.matches(data):
        raise Conflict(f"The attachment {attachment.filename!r} changed after this was prepared; nothing was sent.")
    return data
