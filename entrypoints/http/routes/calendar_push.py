"""Google Calendar push: Google posts here (headers only) when a watched calendar changes; we queue a sync of it.

The channel address is MAILAGENT_GOOGLE_CALENDAR_PUSH_URL (`<public_url>/api/v1/calendar/push/google`, HTTPS).
Each channel carries its own random token (X-Goog-Channel-Token), kept only as a hash and compared in constant time:
that is how a post is known to come from Google for that channel. Answers: 200 when accepted (also for a channel no
longer in use, so Google stops retrying), 422 without the channel headers, 403 with a wrong token, 501 when push is
not configured."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from application.use_cases.calendar.handle_calendar_push import HandleCalendarPushInput
from domain.errors import NotConfigured
from entrypoints.http.deps import ContainerDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors

router = APIRouter(prefix="/calendar/push", tags=["calendar push"])


class CalendarPushOut(BaseModel):
    known: bool = Field(description="The post is about a channel in use (false: ignored, it will expire)")
    queued: bool = Field(description="A sync of that calendar was queued")


@router.post(
    "/google",
    response_model=Envelope[CalendarPushOut],
    summary="Google Calendar push notification (events.watch channel address)",
    responses=errors(
        403,
        422,
        501,
        s422="Without the channel headers",
        s403="With a wrong channel token",
        s501="Calendar push is not configured (MAILAGENT_GOOGLE_CALENDAR_PUSH_URL)",
    ),
)
async def google_calendar_push(
    container: ContainerDep,
    x_goog_channel_id: Annotated[str, Header(min_length=1, max_length=64, description="The channel's id")],
    x_goog_channel_token: Annotated[str, Header(min_length=1, max_length=256, description="The channel's token")],
    x_goog_resource_state: Annotated[
        str, Header(min_length=1, max_length=32, description="sync (channel created), exists or not_exists")
    ],
) -> Envelope[CalendarPushOut]:
    if not container.settings().google_calendar_push_url:
        raise NotConfigured(
            "Google Calendar push is not configured on this installation (MAILAGENT_GOOGLE_CALENDAR_PUSH_URL); "
            "calendars are polled meanwhile."
        )
    outcome = await run_in_threadpool(
        container.handle_calendar_push().execute,
        HandleCalendarPushInput(x_goog_channel_id, x_goog_channel_token, x_goog_resource_state),
    )
    return ok(CalendarPushOut(known=outcome.known, queued=outcome.queued))
