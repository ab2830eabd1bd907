"""Connect an IMAP/SMTP account with an address and an (app) password: the servers are tried first, the password
goes to the secret store only, and connecting the same address again replaces it (a changed password)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from application.ports.clock import Clock
from application.ports.mail_server_check import MailServerCheck
from application.ports.mailbox_provider import MailboxProvider
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditContext, AuditDraft, MailAuditAction
from domain.errors import InfrastructureError, PermissionDenied, ReauthRequired, ValidationFailed
from domain.identity import Principal, new_id
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from domain.mail_servers import Endpoint, ImapSmtpSettings, resolve_settings

MAX_PASSWORD_LENGTH = 1024


def imap_secret_name(user_id: str, account_id: str) -> str:
    return f"users/{user_id}/imap/{account_id}"


def settings_json(settings: ImapSmtpSettings, password: str) -> str:
    def endpoint(e: Endpoint) -> dict[str, object]:
        return {"host": e.host, "port": e.port, "security": e.security.value}

    return json.dumps(
        {
            "username": settings.username,
            "password": password,
            "imap": endpoint(settings.imap),
            "smtp": endpoint(settings.smtp),
        }
    )


@dataclass(frozen=True)
class ConnectImapAccountInput:
    principal: Principal
    address: str
    password: str
    preset: str
    username: str | None = None
    imap: Endpoint | None = None
    smtp: Endpoint | None = None
    context: AuditContext = AuditContext()


class ConnectImapAccount:
    def __init__(
        self,
        uow: UnitOfWork,
        mailboxes: MailboxProvider,
        secrets: SecretStore,
        check: MailServerCheck,
        clock: Clock,
    ) -> None:
        self.uow, self.mailboxes, self.secrets, self.check, self.clock = uow, mailboxes, secrets, check, clock

    def execute(self, inp: ConnectImapAccountInput) -> MailAccount:
        if not self.mailboxes.supports(MailProvider.IMAP):
            raise PermissionDenied("IMAP accounts are turned off on this server.")
        settings = resolve_settings(
            address=inp.address, preset=inp.preset, username=inp.username, imap=inp.imap, smtp=inp.smtp
        )
        if not inp.password or len(inp.password) > MAX_PASSWORD_LENGTH or "\n" in inp.password:
            raise ValidationFailed(
                "Give the account's password (an app password where the provider offers one).",
                details=[{"field": "password"}],
            )
        try:
            self.check.check(settings, inp.password)
        except ReauthRequired as exc:
            # nothing is stored: to the person connecting, a refused password is a wrong entry, not a lost grant
            reason = exc.message.split(" Connect the account again", 1)[0].split("; nothing was sent", 1)[0]
            raise ValidationFailed(
                f"{reason.rstrip('.')}. Check the user name and the password (an app password where the provider "
                "offers one).",
                details=[{"field": "password"}],
            ) from exc
        except InfrastructureError as exc:
            # the settings just given cannot be used now: say which server, and store nothing
            raise ValidationFailed(
                f"{exc.message} Check the server name and port, or try again later.", details=[{"field": "imap_host"}]
            ) from exc
        user_id = inp.principal.user_id
        now = self.clock.now()
        with self.uow as uow:
            existing = uow.mail_accounts.find(user_id, MailProvider.IMAP, settings.address)
            account_id = existing.id if existing is not None else new_id()
            ref = self.secrets.put(imap_secret_name(user_id, account_id), settings_json(settings, inp.password))
            if existing is not None:
                account = replace(
                    existing, status=AccountStatus.ACTIVE, secret_ref=ref, last_error=None, updated_at=now
                )
                uow.mail_accounts.update(account)
            else:
                account = MailAccount(
                    id=account_id,
                    user_id=user_id,
                    provider=MailProvider.IMAP,
                    address=settings.address,
                    status=AccountStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                    secret_ref=ref,
                )
                uow.mail_accounts.add(account)
            uow.audit.append(
                AuditDraft(
                    MailAuditAction.ACCOUNT_CONNECTED,
                    actor_id=user_id,
                    target=f"mail_account:{account.id}",
                    context=inp.context,
                    details={
                        "provider": "imap",
                        "preset": inp.preset,
                        "imap": settings.imap.label(),
                        "smtp": settings.smtp.label(),
                        "reconnected": existing is not None,
                    },
                ),
                at=now,
            )
            uow.commit()
        # the first sync fills the local index; the change feed starts after it (what was there is not "new")
        cursor = self.mailboxes.open(account).current_cursor()
        with self.uow as uow:
            uow.mail_sync.advance(account.id, cursor, at=self.clock.now())
            uow.commit()
        return account
