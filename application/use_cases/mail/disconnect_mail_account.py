"""Disconnect a mailbox: revoke the grant at the provider, delete the stored tokens, keep an audit entry."""

from __future__ import annotations

import json
from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.oauth_client import OAuthClient
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditContext, AuditDraft, MailAuditAction
from domain.errors import DomainError, InfrastructureError, NotFound
from domain.identity import Principal
from domain.mail_account import MailAccount, MailProvider


@dataclass(frozen=True)
class DisconnectMailAccountInput:
    principal: Principal
    account_id: str
    context: AuditContext = AuditContext()


class DisconnectMailAccount:
    def __init__(self, uow: UnitOfWork, oauth: OAuthClient | None, secrets: SecretStore, clock: Clock) -> None:
        self.uow, self.oauth, self.secrets, self.clock = uow, oauth, secrets, clock

    def _revoke(self, account: MailAccount) -> bool:
        if account.provider is not MailProvider.GOOGLE or not account.secret_ref or self.oauth is None:
            return False
        try:
            stored = json.loads(self.secrets.get(account.secret_ref))
            self.oauth.revoke(stored.get("refresh_token") or stored["access_token"])
            return True
        except (DomainError, InfrastructureError, KeyError, ValueError):
            return False  # the grant may already be gone; disconnecting must still work

    def execute(self, inp: DisconnectMailAccountInput) -> MailAccount:
        with self.uow as uow:
            account = uow.mail_accounts.get(inp.account_id)
        if account is None or account.user_id != inp.principal.user_id:
            raise NotFound("No mail account with that id.")
        revoked = self._revoke(account)
        if account.secret_ref:
            self.secrets.delete(account.secret_ref)
        with self.uow as uow:
            uow.mail_accounts.delete(account.id)
            uow.audit.append(
                AuditDraft(
                    MailAuditAction.ACCOUNT_DISCONNECTED,
                    actor_id=inp.principal.user_id,
                    target=f"mail_account:{account.id}",
                    context=inp.context,
                    details={"provider": account.provider.value, "address": account.address, "revoked": revoked},
                ),
                at=self.clock.now(),
            )
            uow.commit()
        return account
