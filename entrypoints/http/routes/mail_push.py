"""Gmail push: Pub/Sub POSTs a notification here whenever a watched mailbox changes; we queue a sync of it.

The Pub/Sub push subscription's endpoint is `<public_url>/api/v1/mail/push/google?token=<the push token>`
(MAILAGENT_GOOGLE_PUSH_TOKEN). The shared token authenticates the caller: compared in constant time; the access
log records the path only, and the token is registered for redaction besides. Pub/Sub's OIDC token
(`Authorization: Bearer`) is not verified: the shared token is the authentication. Answers: 200 when accepted
(also for an address with no connected account, so Pub/Sub stops retrying), 400 for a body that is not a Gmail
notification, 401 without the token, 403 with a wrong one, 501 when push is not configured."""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from application.use_cases.mail.handle_google_push import HandleGooglePushInput
from domain.errors import AuthenticationFailed, NotConfigured, PermissionDenied
from domain.mail_sync import InvalidPushMessage
from entrypoints.http.deps import ContainerDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors

router = APIRouter(prefix="/mail/push", tags=["mail push"])

MAX_BODY_BYTES = 64 * 1024  # a Gmail notification is a few hundred bytes


class PushAcceptedOut(BaseModel):
    history_id: str = Field(description="The mailbox history id Gmail notified")
    accounts: int = Field(description="Connected accounts with that address (0: unknown address, ignored)")
    queued: int = Field(description="Syncs queued (an account already synced past this change needs none)")


def _check_token(expected: str | None, given: str | None) -> None:
    if not expected:
        raise NotConfigured(
            "Gmail push is not configured on this installation: set MAILAGENT_GOOGLE_PUSH_TOKEN (and "
            "MAILAGENT_GOOGLE_PUSH_TOPIC); mailboxes are polled meanwhile."
        )
    if not given:
        raise AuthenticationFailed("The push URL must carry the installation's push token: ?token=...")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise PermissionDenied("The push token is not this installation's.")


@router.post(
    "/google",
    response_model=Envelope[PushAcceptedOut],
    summary="Gmail push notification (Pub/Sub push subscription endpoint)",
    responses=errors(
        400,
        401,
        403,
        501,
        s400="Not a Gmail notification",
        s401="Without the push token",
        s403="With a wrong push token",
        s501="Push is not configured (MAILAGENT_GOOGLE_PUSH_TOKEN)",
    ),
)
async def google_push(
    request: Request,
    container: ContainerDep,
    token: Annotated[str | None, Query(description="The installation's push token")] = None,
) -> Envelope[PushAcceptedOut]:
    secret = container.settings().google_push_token
    _check_token(secret.get_secret_value() if secret else None, token)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidPushMessage("A push body is at most 64 KiB.")
    try:
        envelope: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidPushMessage("The push body is not JSON (a Pub/Sub push envelope is expected).") from None
    outcome = await run_in_threadpool(container.handle_google_push().execute, HandleGooglePushInput(envelope=envelope))
    return ok(PushAcceptedOut(history_id=outcome.history_id, accounts=outcome.accounts, queued=outcome.queued))
