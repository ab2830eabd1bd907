"""Scheduled sends: schedule a message for later, list and read them, cancel, reschedule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmailInput
from application.use_cases.scheduled.get_scheduled_email import GetScheduledEmailInput
from application.use_cases.scheduled.list_scheduled_emails import MAX_LIMIT, ListScheduledEmailsInput
from application.use_cases.scheduled.reschedule_scheduled_email import RescheduleScheduledEmailInput
from application.use_cases.scheduled.schedule_email import ScheduleEmailInput, ThreadKind, ThreadReference
from domain.errors import ValidationFailed
from domain.scheduled_email import ScheduledEmail, ScheduledStatus
from entrypoints.http.constraints import MAX_OFFSET, timezone_schema
from entrypoints.http.deps import AuditContextDep, ContainerDep, OneAccountQ, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.mail_schemas import AddressOut, ComposeIn
from entrypoints.http.openapi_contract import MAIL

router = APIRouter(prefix="/emails", tags=["scheduled emails"], responses=MAIL)

SEND_AT_HELP = (
    "When to send: ISO 8601 with an offset (2026-12-24T09:00:00+01:00, exact), or a wall time without one "
    "(2026-12-24T09:00:00) together with `timezone`. A wall time skipped by a DST change is moved forward by the "
    "gap; one that happens twice means the first, unless an offset says otherwise."
)
TIMEZONE_HELP = "IANA zone (Europe/Berlin, America/New_York) or an offset (+02:00); shown back with the send time"


class ScheduleIn(ComposeIn):
    send_at: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description=SEND_AT_HELP + " Required unless undo_hold is true.",
        examples=["2026-12-24T09:00:00"],
    )
    undo_hold: bool = Field(
        False,
        description="Undo send: hold the message for your undo window (undo_send_seconds in PATCH /auth/me, "
        "0-30 s) instead of a send_at; cancel it meanwhile with DELETE /emails/scheduled/{id}. Not with send_at.",
    )
    timezone: str | None = Field(
        None, max_length=64, examples=["Europe/Berlin"], json_schema_extra=timezone_schema(TIMEZONE_HELP)
    )
    reply_to_message_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="A reply: the id of the message it answers (GET /emails/{id}). The send stays in that "
        "conversation (In-Reply-To, References, thread). Recipients, subject and body are sent as given: quote the "
        "original yourself. Not together with forward_message_id.",
    )
    forward_message_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="A forward: the id of the message forwarded. It stays in that conversation, and the message's "
        "own attachments go along unless include_attachments is false. Not together with reply_to_message_id.",
    )
    include_attachments: bool = Field(True, description="With forward_message_id: attach the original's files")

    def when(self) -> str:
        if self.undo_hold and self.send_at:
            raise ValidationFailed(
                "Give either send_at or undo_hold, not both.",
                details=[{"field": "send_at", "issue": "conflicts_with_undo_hold"}],
            )
        if not self.undo_hold and not self.send_at:
            raise ValidationFailed(
                "Say when to send it: send_at, or undo_hold to hold it for your undo window.",
                details=[{"field": "send_at", "issue": "missing"}],
            )
        return self.send_at or ""

    def thread(self) -> ThreadReference | None:
        if self.reply_to_message_id and self.forward_message_id:
            raise ValidationFailed(
                "A message is either a reply or a forward: give reply_to_message_id or forward_message_id, not both.",
                details=[{"field": "forward_message_id", "issue": "conflicts_with_reply_to_message_id"}],
            )
        if self.reply_to_message_id:
            return ThreadReference(self.reply_to_message_id, ThreadKind.REPLY)
        if self.forward_message_id:
            return ThreadReference(self.forward_message_id, ThreadKind.FORWARD, self.include_attachments)
        return None


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # only the time can change; say so instead of ignoring fields

    send_at: str = Field(min_length=1, max_length=64, description=SEND_AT_HELP)
    timezone: str | None = Field(
        None,
        max_length=64,
        json_schema_extra=timezone_schema(TIMEZONE_HELP + "; default: the zone it was scheduled in"),
    )


class ScheduledEmailOut(BaseModel):
    id: str
    status: ScheduledStatus
    send_at: datetime = Field(description="When it is (or was) to be sent, UTC")
    timezone: str
    local_send_at: str = Field(description="The same moment in `timezone`, ISO 8601 with its offset")
    adjustment: str | None = Field(None, description="How a DST gap or overlap was resolved (on create/update)")
    account_id: str
    from_: AddressOut | None = Field(serialization_alias="from")
    to: list[AddressOut]
    cc: list[AddressOut]
    bcc: list[AddressOut]
    subject: str
    attachments: int
    attempts: int
    error: str | None
    message_id: str = Field(description="The RFC 5322 Message-ID it is sent with")
    in_reply_to: str | None = Field(description="The Message-ID of the message it answers or forwards, if any")
    thread_id: str | None = Field(description="The conversation it is sent in (a reply or forward), if any")
    sent_message_id: str | None = Field(description="The sent message's id in the mailbox (GET /emails/{id})")
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, e: ScheduledEmail, adjustment: str | None = None) -> ScheduledEmailOut:
        m = e.message
        return cls(
            id=e.id,
            status=e.status,
            send_at=e.send_at,
            timezone=e.timezone,
            local_send_at=e.local_send_at.isoformat(),
            adjustment=adjustment,
            account_id=e.account_id,
            from_=AddressOut.of(m.from_) if m.from_ else None,
            to=[AddressOut.of(a) for a in m.to],
            cc=[AddressOut.of(a) for a in m.cc],
            bcc=[AddressOut.of(a) for a in m.bcc],
            subject=m.subject,
            attachments=len(m.attachments),
            attempts=e.attempts,
            error=e.error,
            message_id=e.message_id,
            in_reply_to=m.in_reply_to,
            thread_id=m.thread_id,
            sent_message_id=e.provider_message_id,
            created_at=e.created_at,
            updated_at=e.updated_at,
            sent_at=e.sent_at,
        )


@router.post("/schedule", status_code=status.HTTP_201_CREATED, response_model=Envelope[ScheduledEmailOut])
def schedule(
    body: ScheduleIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: OneAccountQ = None,
) -> Envelope[ScheduledEmailOut]:
    """Send this message later. Checked now as a send would be; sent once at `send_at` (needs `mail:send`). A reply
    or forward names its message (`reply_to_message_id` / `forward_message_id`) and is sent in that conversation;
    an unknown message is 404. The web app holds every send here for the undo window."""
    done = container.schedule_email().execute(
        ScheduleEmailInput(
            principal,
            body.to_compose(),
            body.when(),
            body.timezone,
            account,
            ctx,
            body.thread(),
            undo_hold=body.undo_hold,
        )
    )
    return ok(ScheduledEmailOut.of(done.email, done.adjustment))


@router.get("/scheduled", response_model=Envelope[list[ScheduledEmailOut]])
def list_scheduled(
    principal: PrincipalDep,
    container: ContainerDep,
    status_: Annotated[
        list[ScheduledStatus] | None, Query(alias="status", description="Only these statuses (repeatable)")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Envelope[list[ScheduledEmailOut]]:
    """Your scheduled emails by send time; `meta.total` counts all that match."""
    found, total = container.list_scheduled_emails().execute(
        ListScheduledEmailsInput(principal, tuple(status_ or ()), offset, limit)
    )
    return ok([ScheduledEmailOut.of(e) for e in found], total=total, offset=offset, limit=limit)


@router.get("/scheduled/{scheduled_id}", response_model=Envelope[ScheduledEmailOut])
def get_scheduled(scheduled_id: str, principal: PrincipalDep, container: ContainerDep) -> Envelope[ScheduledEmailOut]:
    return ok(
        ScheduledEmailOut.of(container.get_scheduled_email().execute(GetScheduledEmailInput(principal, scheduled_id)))
    )


@router.delete("/scheduled/{scheduled_id}", response_model=Envelope[ScheduledEmailOut])
def cancel_scheduled(
    scheduled_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[ScheduledEmailOut]:
    """Cancel it. Once it is being sent, sent, failed or already cancelled: 409, saying which; nothing changes."""
    cancelled = container.cancel_scheduled_email().execute(CancelScheduledEmailInput(principal, scheduled_id, ctx))
    return ok(ScheduledEmailOut.of(cancelled))


@router.patch("/scheduled/{scheduled_id}", response_model=Envelope[ScheduledEmailOut])
def reschedule(
    scheduled_id: str, body: RescheduleIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[ScheduledEmailOut]:
    """Move it to another time, while it is still waiting (409 once it is being sent or done)."""
    done = container.reschedule_scheduled_email().execute(
        RescheduleScheduledEmailInput(principal, scheduled_id, body.send_at, body.timezone, ctx)
    )
    return ok(ScheduledEmailOut.of(done.email, done.adjustment))
