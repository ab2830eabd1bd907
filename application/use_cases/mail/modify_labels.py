"""Add and remove labels on one or many messages (also read/unread, star, archive and trash), all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from domain.audit import AuditContext, MailAuditAction
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import MAX_MODIFY_BATCH, Label
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class ModifyLabelsInput:
    principal: Principal
    message_ids: tuple[str, ...]
    add: tuple[str, ...] = ()  # label ids or names
    remove: tuple[str, ...] = ()
    account_id: str | None = None
    context: AuditContext = AuditContext()


def resolve_label_ids(labels: list[Label], wanted: tuple[str, ...]) -> tuple[str, ...]:
    """Accept label ids or (case-insensitive) names, so `Later` works as well as `Label_12`."""
    by_name = {label.name.lower(): label.id for label in labels}
    ids = {label.id for label in labels}
    return tuple(w if w in ids else by_name.get(w.lower(), w) for w in wanted)


class ModifyLabels:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: ModifyLabelsInput) -> tuple[str, ...]:
        if not inp.message_ids:
            raise ValidationFailed("Name at least one message.", details=[{"field": "ids"}])
        if len(inp.message_ids) > MAX_MODIFY_BATCH:
            raise ValidationFailed(f"At most {MAX_MODIFY_BATCH} messages at once.", details=[{"field": "ids"}])
        if not inp.add and not inp.remove:
            raise ValidationFailed("Say which labels to add or remove.", details=[{"field": "add"}])

        def modify(mailbox: Mailbox, _: MailAccount) -> tuple[tuple[str, ...], tuple[str, ...]]:
            labels = mailbox.list_labels()
            add, remove = resolve_label_ids(labels, inp.add), resolve_label_ids(labels, inp.remove)
            mailbox.modify_labels(list(dict.fromkeys(inp.message_ids)), add=add, remove=remove)
            return add, remove

        account, (add, remove) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_MODIFY, modify)
        self.access.audit(
            inp.principal,
            MailAuditAction.LABELS_CHANGED,
            target=f"mail_account:{account.id}",
            context=inp.context,
            details={"messages": len(inp.message_ids), "add": list(add), "remove": list(remove)},
            changed=account,
        )
        return inp.message_ids
