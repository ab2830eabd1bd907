"""Connect the demo mailbox (embedded default): a realistic sample inbox, no provider needed."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.mailbox_provider import MailboxProvider
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditContext, AuditDraft, MailAuditAction
from domain.errors import PermissionDenied
from domain.identity import Principal, new_id
from domain.mail_account import AccountStatus, MailAccount, MailProvider

DEMO_ADDRESS = "you@demo.mailagent.local"


@dataclass(frozen=True)
class ConnectDemoAccountInput:
    principal: Principal
    context: AuditContext = AuditContext()


class ConnectDemoAccount:
    def __init__(self, uow: UnitOfWork, mailboxes: MailboxProvider, clock: Clock) -> None:
        self.uow, self.mailboxes, self.clock = uow, mailboxes, clock

    def execute(self, inp: ConnectDemoAccountInput) -> MailAccount:
        if not self.mailboxes.supports(MailProvider.DEMO):
            raise PermissionDenied(
                "The demo mailbox is turned off on this server: set MAILAGENT_DEMO_MAILBOX=true to offer it "
                "(it is on by default only in the local profile)."
            )
        user_id = inp.principal.user_id
        with self.uow as uow:
            existing = uow.mail_accounts.find(user_id, MailProvider.DEMO, DEMO_ADDRESS)
            if existing is not None:
                return existing  # connecting twice is harmless
            now = self.clock.now()
            account = MailAccount(
                id=new_id(),
                user_id=user_id,
                provider=MailProvider.DEMO,
                address=DEMO_ADDRESS,
                status=AccountStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            self.mailboxes.provision(account)  # fill the sample inbox before the account becomes visible
            uow.mail_accounts.add(account)
            # start the change feed here: the first change after connecting is announced (a first sync would only
            # record the cursor)
            uow.mail_sync.advance(account.id, self.mailboxes.open(account).current_cursor(), at=now)
            uow.audit.append(
                AuditDraft(
                    MailAuditAction.ACCOUNT_CONNECTED,
                    actor_id=user_id,
                    target=f"mail_account:{account.id}",
                    context=inp.context,
                    details={"provider": "demo"},
                ),
                at=now,
            )
            uow.commit()
        return account
