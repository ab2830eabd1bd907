"""MailAccess: find the caller's account, open its mailbox, keep re-auth state and audit — for every mail use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from application.authorization import require_scope
from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.mail.sync_mailbox import SYNC_JOB, SYNC_RETRY, sync_job_id
from domain.audit import AuditContext, AuditDraft
from domain.errors import NotFound, ReauthRequired, ValidationFailed
from domain.identity import Principal, Scope
from domain.mail_account import AccountStatus, MailAccount

T = TypeVar("T")

NO_ACCOUNT = "Connect a mailbox first (POST /api/v1/mail/accounts/demo or the Google connect flow)."
ALL_ACCOUNTS = "all"  # the unified inbox: listing and searching only (ADR 0026)
ONE_ACCOUNT_NEEDED = (
    "Choose one mail account for this: account=all works only for listing and searching mail; each message "
    "says its account_id."
)


class MailAccess:
    def __init__(
        self, uow: UnitOfWork, mailboxes: MailboxProvider, clock: Clock, relay: OutboxRelay | None = None
    ) -> None:
        self.uow, self.mailboxes, self.clock, self.relay = uow, mailboxes, clock, relay

    def account(self, principal: Principal, account_id: str | None) -> MailAccount:
        """The caller's account by id, or their first connected one. Someone else's id is simply not found."""
        if account_id == ALL_ACCOUNTS:
            raise ValidationFailed(ONE_ACCOUNT_NEEDED, details=[{"field": "account", "issue": "one_account_needed"}])
        accounts = self.accounts(principal)
        if account_id:
            found = next((a for a in accounts if a.id == account_id), None)
            if found is None:
                raise NotFound("No mail account with that id.")
            return found
        if not accounts:
            raise NotFound(NO_ACCOUNT)
        return next((a for a in accounts if a.status is AccountStatus.ACTIVE), accounts[0])

    def accounts(self, principal: Principal) -> list[MailAccount]:
        """Every account of the caller, oldest connection first (the unified inbox's tie-break order)."""
        with self.uow.reading() as uow:  # every mail request starts here: one statement, no transaction needed
            return list(uow.mail_accounts.list_for_user(principal.user_id))

    def run(
        self,
        principal: Principal,
        account_id: str | None,
        scope: Scope,
        action: Callable[[Mailbox, MailAccount], T],
    ) -> tuple[MailAccount, T]:
        """Open the mailbox and run `action`; a refused grant marks the account for re-authorisation."""
        require_scope(principal, scope)
        return self.run_on(self.account(principal, account_id), action)

    def run_on(self, account: MailAccount, action: Callable[[Mailbox, MailAccount], T]) -> tuple[MailAccount, T]:
        """`run` for an account already found (the caller's own, scope checked)."""
        if account.status is AccountStatus.REAUTH_REQUIRED:
            raise ReauthRequired(
                f"The mailbox {account.address} must be connected again: the provider no longer accepts our access."
            )
        try:
            return account, action(self.mailboxes.open(account), account)
        except ReauthRequired as exc:
            self._mark_reauth(account, exc.message)
            raise

    def _mark_reauth(self, account: MailAccount, reason: str) -> None:
        with self.uow as uow:
            current = uow.mail_accounts.get(account.id)
            if current is not None and current.status is not AccountStatus.REAUTH_REQUIRED:
                uow.mail_accounts.update(
                    replace(
                        current,
                        status=AccountStatus.REAUTH_REQUIRED,
                        last_error=reason[:500],
                        updated_at=self.clock.now(),
                    )
                )
                uow.commit()

    def audit(
        self,
        principal: Principal,
        action: str,
        *,
        target: str,
        context: AuditContext,
        details: dict[str, Any] | None = None,
        changed: MailAccount | None = None,
    ) -> None:
        """Audit the action; when it `changed` that account's mail, also queue (in the same transaction) a sync of
        the account, so the change reaches live clients as events, the demo mailbox's exactly like Gmail's."""
        with self.uow as uow:
            uow.audit.append(
                AuditDraft(action, actor_id=principal.user_id, target=target, context=context, details=details or {}),
                at=self.clock.now(),
            )
            if changed is not None:
                enqueue_after_commit(
                    uow,
                    self.clock,
                    SYNC_JOB,
                    {"account_id": changed.id},
                    job_id=sync_job_id(changed.id),
                    retry=SYNC_RETRY,
                )
            uow.commit()
        if changed is not None and self.relay is not None:
            self.relay.flush()
