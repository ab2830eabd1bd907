"""Finish connecting Gmail: check the state, exchange the code, keep the tokens in the SecretStore only."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.oauth_client import OAuthClient
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import same_digest, split_compound
from application.use_cases.mail.sync_mailbox import SYNC_JOB, SYNC_RETRY, sync_job_id
from domain.audit import AuditContext, AuditDraft, MailAuditAction
from domain.errors import ValidationFailed
from domain.identity import new_id
from domain.mail_account import AccountStatus, MailAccount, MailProvider

INVALID_STATE = "This connection attempt is invalid or expired. Start connecting the mailbox again."


def token_secret_name(user_id: str, account_id: str) -> str:
    return f"users/{user_id}/oauth/google/{account_id}"


def tokens_json(access_token: str, refresh_token: str, expires_at: str | None, scopes: tuple[str, ...]) -> str:
    return json.dumps(
        {"access_token": access_token, "refresh_token": refresh_token, "expires_at": expires_at, "scopes": scopes}
    )


@dataclass(frozen=True)
class CompleteGoogleConnectInput:
    state: str
    code: str | None = None
    error: str | None = None  # Google sends ?error=access_denied when the user says no
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class ConnectedAccount:
    account: MailAccount
    return_to: str | None


class CompleteGoogleConnect:
    def __init__(
        self,
        uow: UnitOfWork,
        oauth: OAuthClient,
        secrets: SecretStore,
        clock: Clock,
        relay: OutboxRelay | None = None,
    ) -> None:
        self.uow, self.oauth, self.secrets, self.clock, self.relay = uow, oauth, secrets, clock, relay

    def execute(self, inp: CompleteGoogleConnectInput) -> ConnectedAccount:
        parts = split_compound(inp.state)
        if parts is None:
            raise ValidationFailed(INVALID_STATE)
        now = self.clock.now()
        with self.uow as uow:
            state = uow.oauth_states.get(parts[0])
            if state is None or not same_digest(parts[1], state.state_hash) or not state.is_usable(now):
                raise ValidationFailed(INVALID_STATE)
            if not uow.oauth_states.consume(state.id, at=now):
                raise ValidationFailed(INVALID_STATE)
            uow.commit()
        if inp.error or not inp.code:
            raise ValidationFailed(f"Google did not grant access ({inp.error or 'no code'}). Nothing was connected.")
        tokens = self.oauth.exchange_code(code=inp.code, code_verifier=state.code_verifier)
        if not tokens.refresh_token:
            raise ValidationFailed("Google did not return offline access. Start connecting the mailbox again.")
        address = self.oauth.account_address(tokens.access_token).lower()
        with self.uow as uow:
            existing = uow.mail_accounts.find(state.user_id, MailProvider.GOOGLE, address)
            account_id = existing.id if existing else new_id()
            ref = self.secrets.put(
                token_secret_name(state.user_id, account_id),
                tokens_json(
                    tokens.access_token,
                    tokens.refresh_token,
                    tokens.expires_at.isoformat() if tokens.expires_at else None,
                    tokens.scopes,
                ),
            )
            if existing is not None:  # re-connecting the same address (e.g. after reauth_required)
                account = replace(
                    existing,
                    status=AccountStatus.ACTIVE,
                    scopes=tokens.scopes,
                    secret_ref=ref,
                    last_error=None,
                    updated_at=now,
                )
                uow.mail_accounts.update(account)
            else:
                account = MailAccount(
                    id=account_id,
                    user_id=state.user_id,
                    provider=MailProvider.GOOGLE,
                    address=address,
                    status=AccountStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                    scopes=tokens.scopes,
                    secret_ref=ref,
                )
                uow.mail_accounts.add(account)
            uow.audit.append(
                AuditDraft(
                    MailAuditAction.ACCOUNT_CONNECTED,
                    actor_id=state.user_id,
                    target=f"mail_account:{account.id}",
                    context=inp.context,
                    details={"provider": "google", "address": address, "reconnected": existing is not None},
                ),
                at=now,
            )
            # Sync right away: a first sync records where the change feed starts, so changes from now on are
            # announced (instead of from the first poll, minutes later).
            enqueue_after_commit(
                uow, self.clock, SYNC_JOB, {"account_id": account.id}, job_id=sync_job_id(account.id), retry=SYNC_RETRY
            )
            uow.commit()
        if self.relay is not None:
            self.relay.flush()
        return ConnectedAccount(account=account, return_to=state.return_to)
