"""Start connecting a Gmail account: a consent URL with a single-use state bound to the user and PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from application.ports.clock import Clock
from application.ports.oauth_client import OAuthClient
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import digest, new_token
from domain.errors import ValidationFailed
from domain.identity import Principal, new_id
from domain.mail_account import OAuthState

STATE_TTL = timedelta(minutes=10)


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class StartGoogleConnectInput:
    principal: Principal
    return_to: str | None = None  # a path inside the web app to come back to


class StartGoogleConnect:
    def __init__(self, uow: UnitOfWork, oauth: OAuthClient, clock: Clock) -> None:
        self.uow, self.oauth, self.clock = uow, oauth, clock

    def execute(self, inp: StartGoogleConnectInput) -> str:
        if inp.return_to and (not inp.return_to.startswith("/") or inp.return_to.startswith("//")):
            raise ValidationFailed("return_to must be a path inside this app, like /mail.")
        now = self.clock.now()
        state_id, secret = new_id(), new_token()
        verifier = secrets.token_urlsafe(64)[:96]
        with self.uow as uow:
            uow.oauth_states.add(
                OAuthState(
                    id=state_id,
                    user_id=inp.principal.user_id,
                    state_hash=digest(secret),
                    code_verifier=verifier,
                    created_at=now,
                    expires_at=now + STATE_TTL,
                    return_to=inp.return_to,
                )
            )
            uow.commit()
        return self.oauth.authorization_url(state=f"{state_id}.{secret}", code_challenge=pkce_challenge(verifier))
