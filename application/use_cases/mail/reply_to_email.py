"""Reply (or reply all) to a message, in its thread, with the original quoted below."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.mail.send_email import message_id_for, record_send, send_once
from domain.audit import AuditContext
from domain.identity import Principal, Scope
from domain.mail import EmailAddress, Message
from domain.mail_account import MailAccount
from domain.mime import reply_threading


def prefixed(subject: str, prefix: str) -> str:
    return subject if subject.lower().startswith(prefix.lower()) else f"{prefix} {subject}".strip()


def quoted(original: Message) -> str:
    who = str(original.from_) if original.from_ else "someone"
    lines = "\n".join(f"> {line}" for line in original.text_body.splitlines())
    return f"\n\nOn {original.date:%a, %d %b %Y %H:%M}, {who} wrote:\n{lines}\n"


@dataclass(frozen=True)
class ReplyAddressing:
    """Who a reply goes to: `to` (the original's Reply-To when it has one, else its sender) and, for reply-all,
    `cc` (everyone else on the original but us), each address once."""

    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...]
    via_reply_to: bool  # `to` came from the original's Reply-To header


def reply_addressing(original: Message, own: str, reply_all: bool) -> ReplyAddressing:
    primary: tuple[EmailAddress, ...] = original.reply_to or ((original.from_,) if original.from_ else ())
    via_reply_to = bool(original.reply_to)
    if original.from_ and original.from_.address.lower() == own.lower():
        primary, via_reply_to = original.to, False  # replying to our own message goes to its recipients again
    firsts: dict[str, EmailAddress] = {}
    for a in primary:
        firsts.setdefault(a.address.lower(), a)
    to = tuple(firsts.values())
    seen = {own.lower()} | {a.address.lower() for a in to}
    if not reply_all:
        return ReplyAddressing(to, (), via_reply_to)
    cc: list[EmailAddress] = []
    for a in (*original.to, *original.cc):
        if a.address.lower() not in seen:
            cc.append(a)
            seen.add(a.address.lower())
    return ReplyAddressing(to, tuple(cc), via_reply_to)


def reply_recipients(original: Message, own: str, reply_all: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    addressing = reply_addressing(original, own, reply_all)
    return tuple(str(a) for a in addressing.to), tuple(str(a) for a in addressing.cc)


@dataclass(frozen=True)
class ReplyToEmailInput:
    principal: Principal
    message_id: str
    text_body: str
    html_body: str | None = None
    reply_all: bool = False
    extra_cc: tuple[str, ...] = ()
    account_id: str | None = None
    idempotency_key: str | None = None
    context: AuditContext = AuditContext()
    attachment_ids: tuple[str, ...] = ()


class ReplyToEmail:
    def __init__(
        self, access: MailAccess, sanitizer: HtmlSanitizer, attachments: OutgoingAttachments | None = None
    ) -> None:
        self.access, self.sanitizer, self.attachments = access, sanitizer, attachments

    def execute(self, inp: ReplyToEmailInput) -> Message:
        require_scope(inp.principal, Scope.MAIL_SEND)
        files = Compose(attachment_ids=inp.attachment_ids)
        if self.attachments is not None:
            files = self.attachments.collect(inp.principal, files, inp.context, when="on send").compose

        def reply(mailbox: Mailbox, account: MailAccount) -> Message:
            original = mailbox.get_message(inp.message_id)
            to, cc = reply_recipients(original, account.address, inp.reply_all)
            in_reply_to, references = reply_threading(original)
            compose = Compose(
                to=to,
                cc=cc + inp.extra_cc,
                subject=prefixed(original.subject, "Re:"),
                text_body=inp.text_body + quoted(original),
                html_body=inp.html_body,
                attachments=files.attachments,
                attachment_ids=files.attachment_ids,
            )
            outgoing = to_outgoing(
                compose,
                sender=EmailAddress(address=account.address),
                sanitizer=self.sanitizer,
                in_reply_to=in_reply_to,
                references=references,
                thread_id=original.thread_id,
                message_id=message_id_for(account, inp.idempotency_key),
            )
            outgoing.require_recipients()
            return send_once(mailbox, outgoing)

        account, sent = self.access.run(inp.principal, inp.account_id, Scope.MAIL_SEND, reply)
        record_send(self.access, inp.principal, account, sent, inp.context)
        return sent
