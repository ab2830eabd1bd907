"""MailEffects: the agent's mail tools as frozen effects. Resolving reads the mailbox once, when the call is held
(the draft's or the replied mail's recipients, Reply-To and reply-all applied, attachment bytes hashed, label names
turned into ids, the message ids' subjects and senders); executing sends, schedules or changes exactly that and looks
nothing up again except the attachments' bytes, which must still match their SHA-256."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from application.agent.effects.attachments import DEFAULT_READERS, AttachmentReader, read_frozen
from application.agent.effects.handlers import EffectHandler
from application.agent.effects.recipients import Addressing, flagged
from application.mail_access import MailAccess
from application.mail_compose import MAX_ATTACHMENT_BYTES, MAX_BODY_CHARS, MAX_RECIPIENTS, MAX_SUBJECT, Compose
from application.ports.clock import Clock
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.mail.forward_email import forwarded_block
from application.use_cases.mail.modify_labels import ModifyLabels, ModifyLabelsInput, resolve_label_ids
from application.use_cases.mail.reply_to_email import prefixed, quoted, reply_addressing
from application.use_cases.mail.save_draft import SaveDraft, SaveDraftInput
from application.use_cases.mail.send_email import message_id_for, record_send, send_once
from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmail, CancelScheduledEmailInput
from application.use_cases.scheduled.get_scheduled_email import GetScheduledEmail, GetScheduledEmailInput
from application.use_cases.scheduled.schedule_email import ScheduleEmail, SchedulePreparedInput
from domain.approval import Effect, recipient_addresses
from domain.attachments import malware_found
from domain.audit import AuditContext
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import INBOX, SPAM, TRASH, UNREAD, EmailAddress, Message, OutgoingAttachment, OutgoingMessage
from domain.mail_account import MailAccount
from domain.mail_effects import (
    AttachmentSource,
    CancelScheduledEffect,
    DraftEffect,
    FrozenAttachment,
    LabelChangeEffect,
    MailEffect,
    MailOrigin,
    MessageRef,
    ScheduledMailEffect,
)
from domain.mime import deterministic_message_id, reply_threading
from domain.recipient_checks import domain_of, organisation_domains
from domain.scheduled_email import ResolvedSendTime, message_from_dict, message_to_dict, resolve_send_at

T = TypeVar("T")
SEND_TOOLS = frozenset({"send_email", "reply", "forward"})
LABEL_TOOLS = frozenset({"trash", "apply_label", "remove_label", "mark_read"})
DRAFT_TOOLS = frozenset({"create_draft", "update_draft"})


def _parse(values: Iterable[str]) -> tuple[EmailAddress, ...]:
    return tuple(EmailAddress.parse(v) for v in values if v.strip())


def _shown(a: EmailAddress | None) -> str:
    return str(a) if a is not None else ""


MAX_RESTORABLE_BYTES = 10 * 1024 * 1024


def _restorable(mb: Mailbox, draft_id: str | None) -> dict[str, Any] | None:
    """The draft as it is now, stored so an Undo can put it back; None when it cannot be (too large, unreadable)."""
    if draft_id is None:
        return None
    m = mb.get_draft(draft_id).message
    if sum(a.size for a in m.attachments) > MAX_RESTORABLE_BYTES:
        return None
    try:
        files = tuple(
            OutgoingAttachment(
                filename=a.filename,
                mime_type=a.mime_type,
                content=mb.get_attachment(m.id, a.id),
                content_id=a.content_id,
                inline=a.inline,
            )
            for a in m.attachments
        )
        outgoing = OutgoingMessage(
            to=m.to,
            cc=m.cc,
            bcc=m.bcc,
            subject=m.subject,
            text_body=m.text_body,
            html_body=m.html_body,
            attachments=files,
            in_reply_to=m.in_reply_to,
            references=m.references,
            thread_id=m.thread_id,
            message_id=m.message_id_header,
        )
    except ValidationFailed:
        return None
    return message_to_dict(outgoing)


class MailEffects(EffectHandler):
    tools = SEND_TOOLS | LABEL_TOOLS | DRAFT_TOOLS | {"schedule_email", "cancel_scheduled"}
    kinds = frozenset(
        {
            MailEffect.kind,
            ScheduledMailEffect.kind,
            CancelScheduledEffect.kind,
            LabelChangeEffect.kind,
            DraftEffect.kind,
        }
    )

    def __init__(
        self,
        access: Callable[[], MailAccess],
        clock: Clock,
        *,
        modify_labels: Callable[[], ModifyLabels],
        save_draft: Callable[[], SaveDraft],
        schedule_email: Callable[[], ScheduleEmail],
        cancel_scheduled_email: Callable[[], CancelScheduledEmail],
        get_scheduled_email: Callable[[], GetScheduledEmail],
        organisation: Iterable[str] = (),
        attachment_readers: Mapping[str, AttachmentReader] = DEFAULT_READERS,
        attachments: Callable[[], OutgoingAttachments] | None = None,
    ) -> None:
        self.access, self.clock = access, clock
        self.modify_labels, self.save_draft = modify_labels, save_draft
        self.schedule_email, self.cancel_scheduled_email = schedule_email, cancel_scheduled_email
        self.get_scheduled_email = get_scheduled_email
        self.organisation = tuple(organisation)
        self.attachments = attachments
        self.readers = (
            {**attachment_readers, AttachmentSource.UPLOAD: self._read_upload} if attachments else attachment_readers
        )

    def _in_mailbox(
        self, principal: Principal, account_id: str | None, scope: Scope, fn: Callable[[Mailbox, MailAccount], T]
    ) -> T:
        return self.access().run(principal, account_id, scope, fn)[1]

    def _addressing(self, account: MailAccount, **known: Any) -> Addressing:
        return Addressing(account.address, organisation_domains(account.address, self.organisation), **known)

    # -- resolving --------------------------------------------------------------------------------------------

    def _uploaded(self, principal: Principal, args: Mapping[str, Any]) -> list[tuple[FrozenAttachment, bytes]]:
        """The user's uploads named in `attachment_ids`: their bytes (checked against the upload's SHA-256 and scanned
        for malware, like any send) frozen into the snapshot by hash, read back from the blob store at send time."""
        ids = tuple(str(i) for i in args.get("attachment_ids", ()))
        if not ids:
            return []
        if self.attachments is None:
            raise ValidationFailed("Attachments by id are not available here.")
        collected = self.attachments().collect(
            principal, Compose(attachment_ids=ids), AuditContext(), when="for the agent"
        )
        return [
            (
                FrozenAttachment.of(file, AttachmentSource.upload(upload.id, upload.blob_key, upload.filename)),
                file.content,
            )
            for file, upload in zip(collected.compose.attachments, collected.uploads, strict=True)
        ]

    def _read_upload(self, _: Mailbox, source: AttachmentSource) -> bytes:
        assert self.attachments is not None
        out = self.attachments()
        data = b"".join(out.blobs.get(source.ref["blob_key"]))
        report = out.scanner.scan([data])
        if report.infected:  # signatures may have changed since the card was made
            raise malware_found(source.ref.get("filename", "an attachment"), report.signature, "on send")
        return data

    def resolve(self, principal: Principal, tool: str, args: Mapping[str, Any], *, key: str) -> Effect:
        account_id = args.get("account_id")
        if tool in SEND_TOOLS:
            files = self._uploaded(principal, args)
            return self._in_mailbox(
                principal,
                account_id,
                Scope.MAIL_SEND,
                lambda mb, acct: self._message(mb, acct, tool, args, key, files),
            )
        if tool == "schedule_email":
            when = resolve_send_at(args["send_at"], args.get("timezone"), now=self.clock.now())
            files = self._uploaded(principal, args)
            mail = self._in_mailbox(
                principal,
                account_id,
                Scope.MAIL_SEND,
                lambda mb, acct: self._new_message(mb, acct, args, self._scheduled_message_id(acct, key), files),
            )
            return ScheduledMailEffect(mail, when.send_at, when.timezone, when.adjustment)
        if tool == "cancel_scheduled":
            email = self.get_scheduled_email().execute(GetScheduledEmailInput(principal, args["scheduled_id"]))
            return CancelScheduledEffect(
                email.id,
                email.message.subject,
                tuple(str(a) for a in email.message.recipients),
                email.send_at,
                email.timezone,
            )
        if tool in LABEL_TOOLS:
            return self._in_mailbox(
                principal, account_id, Scope.MAIL_MODIFY, lambda mb, acct: self._labels(mb, acct, tool, args)
            )
        if tool in DRAFT_TOOLS:
            return self._in_mailbox(
                principal, account_id, Scope.MAIL_MODIFY, lambda mb, acct: self._draft(mb, acct, args)
            )
        raise ValidationFailed(f"The tool {tool!r} has no mail effect.")

    @staticmethod
    def _scheduled_message_id(account: MailAccount, key: str) -> str:
        return deterministic_message_id(
            f"scheduled:{account.id}:{key}", domain_of(account.address) or "mailagent.local"
        )

    def _message(
        self,
        mb: Mailbox,
        account: MailAccount,
        tool: str,
        args: Mapping[str, Any],
        key: str,
        files: Sequence[tuple[FrozenAttachment, bytes]] = (),
    ) -> MailEffect:
        message_id = message_id_for(account, f"agent:{key}")
        if tool == "send_email" and args.get("draft_id"):
            return self.from_draft(mb, account, str(args["draft_id"]), message_id)
        if tool == "send_email":
            return self._new_message(mb, account, args, message_id, files)
        original = mb.get_message(str(args["message_id"]))
        if tool == "reply":
            return self._reply(mb, account, original, args, message_id, files)
        return self._forward(mb, account, original, args, message_id, files)

    def _new_message(
        self,
        mb: Mailbox,
        account: MailAccount,
        args: Mapping[str, Any],
        message_id: str,
        files: Sequence[tuple[FrozenAttachment, bytes]] = (),
    ) -> MailEffect:
        groups = [(f, _parse(args.get(f, ()))) for f in ("to", "cc", "bcc")]
        return self._checked(
            MailEffect(
                account_id=account.id,
                sender=EmailAddress(address=account.address),
                people=flagged(mb, groups, self._addressing(account)),
                subject=str(args.get("subject", "")),
                text_body=str(args.get("body", "")),
                attachments=tuple(f for f, _ in files),
                message_id=message_id,
                origin=MailOrigin("new"),
            ),
            tuple(data for _, data in files),
        )

    def from_draft(
        self, mb: Mailbox, account: MailAccount, draft_id: str, message_id: str, *, check_history: bool = True
    ) -> MailEffect:
        m = mb.get_draft(draft_id).message
        if not (m.to or m.cc or m.bcc):
            raise ValidationFailed("The draft has no recipient yet; add one before sending.")
        groups = [("to", m.to), ("cc", m.cc), ("bcc", m.bcc)]
        files = self._files(mb, m)
        effect = MailEffect(
            account_id=account.id,
            sender=EmailAddress(address=account.address),
            people=flagged(mb, groups, self._addressing(account), check_history=check_history),
            subject=m.subject,
            text_body=m.text_body,
            html_body=m.html_body,
            attachments=tuple(f for f, _ in files),
            message_id=message_id,
            in_reply_to=m.in_reply_to,
            references=m.references,
            thread_id=m.thread_id,
            origin=MailOrigin("draft", subject=m.subject, draft_id=draft_id),
        )
        return self._checked(effect, tuple(data for _, data in files))

    def _reply(
        self,
        mb: Mailbox,
        account: MailAccount,
        original: Message,
        args: Mapping[str, Any],
        message_id: str,
        files: Sequence[tuple[FrozenAttachment, bytes]] = (),
    ) -> MailEffect:
        reply_all = bool(args.get("reply_all", False))
        addressing = reply_addressing(original, account.address, reply_all)
        sender = original.from_.address.lower() if original.from_ else ""
        diverted = (
            frozenset(a.address.lower() for a in addressing.to if a.address.lower() != sender)
            if addressing.via_reply_to
            else frozenset()
        )
        known = frozenset({domain_of(sender)} if sender else set())
        in_reply_to, references = reply_threading(original)
        people = flagged(
            mb,
            [("to", addressing.to), ("cc", addressing.cc)],
            self._addressing(
                account,
                via_reply_to=diverted,
                via_reply_all=frozenset(a.address.lower() for a in addressing.cc),
                known_domains=known,
            ),
        )
        if not people:
            raise ValidationFailed("The message has nobody to reply to (no sender, no Reply-To).")
        return self._checked(
            MailEffect(
                account_id=account.id,
                sender=EmailAddress(address=account.address),
                people=people,
                subject=prefixed(original.subject, "Re:"),
                text_body=str(args["body"]) + quoted(original),
                attachments=tuple(f for f, _ in files),
                message_id=message_id,
                in_reply_to=in_reply_to,
                references=references,
                thread_id=original.thread_id,
                origin=MailOrigin(
                    "reply_all" if reply_all else "reply",
                    message_id=original.id,
                    subject=original.subject,
                    sender=_shown(original.from_),
                    reply_to=", ".join(str(a) for a in original.reply_to),
                ),
            ),
            tuple(data for _, data in files),
        )

    def _forward(
        self,
        mb: Mailbox,
        account: MailAccount,
        original: Message,
        args: Mapping[str, Any],
        message_id: str,
        uploaded: Sequence[tuple[FrozenAttachment, bytes]] = (),
    ) -> MailEffect:
        files = [*self._files(mb, original), *uploaded]
        effect = MailEffect(
            account_id=account.id,
            sender=EmailAddress(address=account.address),
            people=flagged(mb, [("to", _parse(args["to"]))], self._addressing(account)),
            subject=prefixed(original.subject, "Fwd:"),
            text_body=str(args.get("body", "")) + forwarded_block(original),
            attachments=tuple(f for f, _ in files),
            message_id=message_id,
            origin=MailOrigin(
                "forward", message_id=original.id, subject=original.subject, sender=_shown(original.from_)
            ),
        )
        return self._checked(effect, tuple(data for _, data in files))

    @staticmethod
    def _files(mb: Mailbox, m: Message) -> list[tuple[FrozenAttachment, bytes]]:
        out = []
        for a in m.attachments:
            data = mb.get_attachment(m.id, a.id)
            outgoing = OutgoingAttachment(
                filename=a.filename, mime_type=a.mime_type, content=data, content_id=a.content_id, inline=a.inline
            )
            out.append((FrozenAttachment.of(outgoing, AttachmentSource.mail_part(m.id, a.id)), data))
        return out

    @staticmethod
    def _checked(effect: MailEffect, contents: tuple[bytes, ...]) -> MailEffect:
        """The same limits as a send from the app, and a real OutgoingMessage built once (header injection...)."""
        if len(effect.people) > MAX_RECIPIENTS:
            raise ValidationFailed(f"At most {MAX_RECIPIENTS} recipients per message.")
        if len(effect.subject) > MAX_SUBJECT:
            raise ValidationFailed(f"The subject is longer than {MAX_SUBJECT} characters.")
        if len(effect.text_body) + len(effect.html_body or "") > MAX_BODY_CHARS:
            raise ValidationFailed("The message body is too large.")
        if sum(a.size for a in effect.attachments) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed("Attachments may add up to 25 MB at most.")
        effect.outgoing(contents).require_recipients()
        return effect

    def _labels(self, mb: Mailbox, account: MailAccount, tool: str, args: Mapping[str, Any]) -> LabelChangeEffect:
        ids = list(dict.fromkeys(str(i) for i in args["message_ids"]))
        found = {s.id: s for s in mb.summaries(ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"No message with the id {', '.join(missing[:5])}.")
        refs = tuple(
            MessageRef(i, found[i].subject, _shown(found[i].from_), found[i].internal_date.date().isoformat())
            for i in ids
        )
        add: tuple[str, ...] = ()
        remove: tuple[str, ...] = ()
        name = ""
        if tool == "trash":
            verb, add = "trash", (TRASH,)
        elif tool == "mark_read":
            verb = "mark_read" if args.get("read", True) else "mark_unread"
            add, remove = ((), (UNREAD,)) if verb == "mark_read" else ((UNREAD,), ())
        else:
            labels = mb.list_labels()
            [label_id] = resolve_label_ids(labels, (str(args["label"]),))
            by_id = {label.id: label for label in labels}
            if label_id not in by_id:
                raise NotFound(f"There is no label called {args['label']!r}.")
            name = by_id[label_id].name
            if tool == "apply_label":
                add = (label_id,)
                verb = {TRASH: "trash", SPAM: "spam"}.get(label_id, "apply_label")
            else:
                remove = (label_id,)
                verb = "archive" if label_id == INBOX else "remove_label"
        return LabelChangeEffect(account.id, verb, refs, add, remove, name)

    def _draft(self, mb: Mailbox, account: MailAccount, args: Mapping[str, Any]) -> DraftEffect:
        draft_id = args.get("draft_id")
        previous = mb.get_draft(str(draft_id)).message.subject if draft_id else ""
        groups = [(f, _parse(args.get(f, ()))) for f in ("to", "cc")]
        addressing = self._addressing(account)
        replying = args.get("reply_to_message_id")
        if replying and not draft_id and not (args.get("to") or args.get("cc")):
            # a reply's recipients from the message's own headers (Reply-To, reply-all), as the reply tool has them
            original = mb.get_message(str(replying))
            reply = reply_addressing(original, account.address, bool(args.get("reply_all", False)))
            groups = [("to", reply.to), ("cc", reply.cc)]
            sender = original.from_.address.lower() if original.from_ else ""
            addressing = self._addressing(
                account,
                via_reply_to=frozenset(a.address.lower() for a in reply.to if a.address.lower() != sender)
                if reply.via_reply_to
                else frozenset(),
                via_reply_all=frozenset(a.address.lower() for a in reply.cc),
                known_domains=frozenset({domain_of(sender)} if sender else set()),
            )
        return DraftEffect(
            account_id=account.id,
            draft_id=str(draft_id) if draft_id else None,
            people=flagged(mb, groups, addressing),
            subject=str(args.get("subject", "")),
            text_body=str(args.get("body", "")),
            reply_to_message_id=args.get("reply_to_message_id"),
            previous_subject=previous,
        )

    # -- is the source still the same? ------------------------------------------------------------------------

    def current(self, principal: Principal, tool: str, args: Mapping[str, Any], effect: Effect, *, key: str) -> bool:
        if not (isinstance(effect, MailEffect) and effect.origin.draft_id):
            return True
        draft_id = effect.origin.draft_id

        def check(mb: Mailbox, account: MailAccount) -> bool:
            try:
                now = self.from_draft(mb, account, draft_id, effect.message_id, check_history=False)
            except (NotFound, ValidationFailed):
                return False
            return now.content() == effect.content()

        return self._in_mailbox(principal, effect.account_id, Scope.MAIL_READ, check)

    # -- executing ----------------------------------------------------------------------------------------------

    def execute(self, principal: Principal, effect: Effect, *, key: str) -> dict[str, Any]:
        if isinstance(effect, MailEffect):
            return self._send(principal, effect)
        if isinstance(effect, ScheduledMailEffect):
            return self._schedule(principal, effect)
        if isinstance(effect, CancelScheduledEffect):
            cancelled = self.cancel_scheduled_email().execute(CancelScheduledEmailInput(principal, effect.scheduled_id))
            return {"scheduled_id": cancelled.id, "status": cancelled.status.value}
        if isinstance(effect, LabelChangeEffect):
            ids = tuple(m.id for m in effect.messages)
            self.modify_labels().execute(
                ModifyLabelsInput(principal, ids, effect.add, effect.remove, effect.account_id)
            )
            return {"ok": True, "messages": list(ids), "added": list(effect.add), "removed": list(effect.remove)}
        if isinstance(effect, DraftEffect):
            compose = Compose(
                to=effect.group("to"), cc=effect.group("cc"), subject=effect.subject, text_body=effect.text_body
            )
            draft = self.save_draft().execute(
                SaveDraftInput(principal, compose, effect.draft_id, effect.reply_to_message_id, effect.account_id)
            )
            return {
                "draft_id": draft.id,
                "message_id": draft.message.id,
                "subject": draft.message.subject,
                "to": [str(a) for a in draft.message.to],
                "cc": [str(a) for a in draft.message.cc],
            }
        raise ValidationFailed(f"Not a mail effect: {effect.kind!r}.")

    # -- reversible effects: run them with how to undo them ----------------------------------------------------

    def execute_with_undo(
        self, principal: Principal, effect: Effect, *, key: str
    ) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
        if isinstance(effect, LabelChangeEffect):
            ids = [m.id for m in effect.messages]
            before = self._in_mailbox(
                principal,
                effect.account_id,
                Scope.MAIL_READ,
                lambda mb, _: {s.id: s.label_ids for s in mb.summaries(ids)},
            )
            result = self.execute(principal, effect, key=key)
            changes = []
            for mid in ids:
                had = before.get(mid, frozenset())
                added, removed = sorted(set(effect.add) - had), sorted(set(effect.remove) & had)
                if added or removed:
                    changes.append({"id": mid, "added": added, "removed": removed})
            plan = {"kind": LabelChangeEffect.kind, "account_id": effect.account_id, "changes": changes}
            return result, plan if changes else None
        if isinstance(effect, DraftEffect):
            previous = None
            if effect.draft_id is not None:
                previous = self._in_mailbox(
                    principal, effect.account_id, Scope.MAIL_READ, lambda mb, _: _restorable(mb, effect.draft_id)
                )
            result = self.execute(principal, effect, key=key)
            if effect.draft_id is None:
                return result, {"kind": DraftEffect.kind, "account_id": effect.account_id, "delete": result["draft_id"]}
            if previous is None:
                return result, None
            plan = {"kind": DraftEffect.kind, "account_id": effect.account_id, "draft_id": effect.draft_id}
            return result, {**plan, "restore": previous}
        return self.execute(principal, effect, key=key), None

    def undo(self, principal: Principal, plan: Mapping[str, Any]) -> None:
        account_id = str(plan["account_id"])
        if plan.get("kind") == LabelChangeEffect.kind:
            groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
            for change in plan.get("changes") or ():
                reverse = (tuple(change["removed"]), tuple(change["added"]))  # add back what went, take off what came
                groups.setdefault(reverse, []).append(str(change["id"]))
            for (add, remove), ids in groups.items():
                self.modify_labels().execute(ModifyLabelsInput(principal, tuple(ids), add, remove, account_id))
            return
        if plan.get("kind") == DraftEffect.kind:
            if plan.get("delete"):
                self._in_mailbox(
                    principal, account_id, Scope.MAIL_MODIFY, lambda mb, _: mb.delete_draft(str(plan["delete"]))
                )
                return
            if plan.get("restore"):
                previous = message_from_dict(plan["restore"])
                self._in_mailbox(
                    principal,
                    account_id,
                    Scope.MAIL_MODIFY,
                    lambda mb, _: mb.update_draft(str(plan["draft_id"]), previous),
                )
                return
        raise ValidationFailed("This change cannot be undone.")

    def _check_sender(self, account: MailAccount, effect: MailEffect) -> None:
        if account.address.lower() != effect.sender.address.lower():
            raise Conflict(
                f"The mailbox now sends as {account.address}, not as {effect.sender.address} as approved; nothing "
                "was sent."
            )

    def _send(self, principal: Principal, effect: MailEffect) -> dict[str, Any]:
        def send(mb: Mailbox, account: MailAccount) -> tuple[Message, bool]:
            self._check_sender(account, effect)
            outgoing = effect.outgoing([read_frozen(mb, a, self.readers) for a in effect.attachments])
            sent = send_once(mb, outgoing)
            draft_kept = False
            if effect.origin.draft_id:
                # The draft goes once what was approved has been sent, unless it was edited meanwhile (then it is
                # the person's newer work, and stays).
                try:
                    now = self.from_draft(mb, account, effect.origin.draft_id, effect.message_id, check_history=False)
                except (NotFound, ValidationFailed):
                    now = None
                if now is not None and now.content() == effect.content():
                    mb.delete_draft(effect.origin.draft_id)
                else:
                    draft_kept = now is not None
            return sent, draft_kept

        access = self.access()
        account, (sent, draft_kept) = access.run(principal, effect.account_id, Scope.MAIL_SEND, send)
        record_send(access, principal, account, sent, AuditContext())
        result: dict[str, Any] = {
            "sent": True,
            "message_id": sent.id,
            "thread_id": sent.thread_id,
            "subject": sent.subject,
            "recipients": recipient_addresses(effect.people),
        }
        if draft_kept:
            result["note"] = (
                "The draft was edited after this was approved; the approved version was sent and the draft kept."
            )
        return result

    def _schedule(self, principal: Principal, effect: ScheduledMailEffect) -> dict[str, Any]:
        def prepare(mb: Mailbox, account: MailAccount) -> Any:
            self._check_sender(account, effect.mail)
            return effect.mail.outgoing([read_frozen(mb, a, self.readers) for a in effect.mail.attachments])

        outgoing = self._in_mailbox(principal, effect.mail.account_id, Scope.MAIL_SEND, prepare)
        done = self.schedule_email().execute_prepared(
            SchedulePreparedInput(
                principal,
                effect.mail.account_id,
                outgoing,
                ResolvedSendTime(effect.send_at, effect.timezone, effect.adjustment),
            )
        )
        return {
            "scheduled_id": done.email.id,
            "send_at": done.email.send_at.isoformat(),
            "timezone": done.email.timezone,
            "status": done.email.status.value,
            "recipients": recipient_addresses(effect.mail.people),
        }
