"""Slack: connect (an incoming webhook URL, or a bot token and a channel; kept in the secret store and never shown
again), the rules (events, quiet hours, a Gmail-syntax filter), the daily summary's schedule, a test message and a
preview of the next summary."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from application.use_cases.notifications.slack import ConfigureSlackInput
from domain.slack import SLACK_EVENT_TYPES, WEEKDAYS, SlackIntegration
from entrypoints.http.deps import ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors

# 502/503: Slack refused the message (a revoked token, an archived channel) or could not be reached.
router = APIRouter(prefix="/integrations/slack", tags=["slack"], responses=errors(502))
# What the domain (domain/slack.py) checks, documented for clients; the domain still words each 422.
HOOK_PATTERN = (
    r"^(https://hooks\.slack\.com/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"
    r"|http://(127\.0\.0\.1|localhost)(:[1-9][0-9]{0,3})?(/[^\s#]*)?)$"
)
# domain/calendar.py zone(): an IANA Area/Location name or UTC (not the legacy aliases such as GB or EST).
SLACK_ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
CLOCK = {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}
NOT_CONNECTED = errors(404, s404="Slack is not connected (connect it with POST /integrations/slack/configure)")


class SlackConfigureIn(BaseModel):
    """Connecting needs `webhook_url`, or `bot_token` together with `channel` (a rule between fields: a 422 names
    what is missing); once connected, leave both out to keep the connection and change only the rules."""

    model_config = ConfigDict(extra="forbid")

    webhook_url: str | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Incoming webhook URL (https://hooks.slack.com/services/…; http://127.0.0.1 only in the embedded "
        "default); stored secretly. Not together with bot_token",
        json_schema_extra={"pattern": HOOK_PATTERN},
    )
    bot_token: str | None = Field(
        None,
        min_length=1,
        max_length=300,
        description="A bot token (xoxb-…) instead; needs `channel`",
        json_schema_extra={"pattern": r"^xoxb-[A-Za-z0-9-]{1,290}$"},
    )
    channel: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Channel for the bot token, e.g. #mail or C0123456789",
        json_schema_extra={"pattern": r"^[#@]?[A-Za-z0-9._-]{1,80}$"},
    )
    events: list[str] = Field(
        default_factory=lambda: list(SLACK_EVENT_TYPES),
        description=f"Which events to post: {', '.join(SLACK_EVENT_TYPES)}",
        json_schema_extra={"items": {"type": "string", "enum": list(SLACK_EVENT_TYPES)}},
    )
    timezone: str = Field(
        "UTC",
        max_length=64,
        description="IANA zone for quiet hours and the summary time",
        json_schema_extra={"enum": SLACK_ZONES},
    )
    quiet_start: str | None = Field(
        None,
        description="Quiet hours start, e.g. 22:00 (needs quiet_end; no alerts until then)",
        json_schema_extra=CLOCK,
    )
    quiet_end: str | None = Field(None, description="Quiet hours end, e.g. 07:00", json_schema_extra=CLOCK)
    mail_filter: str = Field("", max_length=500, description="Only mail matching this Gmail query, e.g. is:important")
    summary_at: str | None = Field(
        None, description="A daily summary at this local time, e.g. 08:00 (none if empty)", json_schema_extra=CLOCK
    )
    summary_weekdays: list[str] = Field(
        default_factory=lambda: list(WEEKDAYS[:5]),
        description="mon … sun (at least one)",
        json_schema_extra={"minItems": 1, "items": {"type": "string", "enum": list(WEEKDAYS)}},
    )
    enabled: StrictBool = True


class SlackOut(BaseModel):
    mode: str = Field(description="webhook or bot")
    channel: str | None
    events: list[str]
    timezone: str
    quiet_start: str | None
    quiet_end: str | None
    mail_filter: str
    summary_at: str | None
    summary_weekdays: list[str]
    enabled: bool
    last_summary_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, i: SlackIntegration) -> SlackOut:
        return cls(
            mode=i.mode.value,
            channel=i.channel,
            events=sorted(i.events),
            timezone=i.timezone,
            quiet_start=i.quiet_hours.start.isoformat("minutes") if i.quiet_hours else None,
            quiet_end=i.quiet_hours.end.isoformat("minutes") if i.quiet_hours else None,
            mail_filter=i.mail_filter,
            summary_at=i.summary.at.isoformat("minutes") if i.summary else None,
            summary_weekdays=[d for d in WEEKDAYS if i.summary and d in i.summary.weekdays],
            enabled=i.enabled,
            last_summary_at=i.last_summary_at,
            updated_at=i.updated_at,
        )


class SentOut(BaseModel):
    sent: bool


class SummaryPreviewOut(BaseModel):
    text: str = Field(description="The summary as plain text")
    message: dict[str, object] = Field(description="The Slack message as it would be posted (text + Block Kit)")
    next_at: datetime | None = Field(description="When the next summary is due (none without a schedule)")
    period_start: datetime


@router.post(
    "/configure",
    status_code=status.HTTP_200_OK,
    response_model=Envelope[SlackOut],
)
def configure(body: SlackConfigureIn, principal: PrincipalDep, container: ContainerDep) -> Envelope[SlackOut]:
    """Connect Slack or change its rules. Leave out webhook_url and bot_token to keep the current connection."""
    integration = container.configure_slack().execute(
        ConfigureSlackInput(
            principal,
            webhook_url=body.webhook_url,
            bot_token=body.bot_token,
            channel=body.channel,
            events=tuple(body.events),
            timezone=body.timezone,
            quiet_start=body.quiet_start,
            quiet_end=body.quiet_end,
            mail_filter=body.mail_filter,
            summary_at=body.summary_at,
            summary_weekdays=tuple(body.summary_weekdays),
            enabled=body.enabled,
        )
    )
    return ok(SlackOut.of(integration))


@router.get("/configure", response_model=Envelope[SlackOut | None])
def get_configuration(principal: PrincipalDep, container: ContainerDep) -> Envelope[SlackOut | None]:
    """Your Slack settings (never the URL or the token); `data: null` when Slack is not connected."""
    found = container.get_slack().find(principal)
    return ok(SlackOut.of(found) if found else None)


@router.delete("/configure", response_model=Envelope[SentOut], responses=NOT_CONNECTED)
def disconnect(principal: PrincipalDep, container: ContainerDep) -> Envelope[SentOut]:
    """Disconnect Slack and delete the stored URL or token."""
    container.disconnect_slack().execute(principal)
    return ok(SentOut(sent=False))


@router.post("/test", response_model=Envelope[SentOut], responses=NOT_CONNECTED)
def test_message(principal: PrincipalDep, container: ContainerDep) -> Envelope[SentOut]:
    """Post a test message now."""
    container.send_slack_test().execute(principal)
    return ok(SentOut(sent=True))


@router.get("/summary/preview", response_model=Envelope[SummaryPreviewOut])
def summary_preview(principal: PrincipalDep, container: ContainerDep) -> Envelope[SummaryPreviewOut]:
    """The summary that would be posted now (nothing is sent), and when the next one is due."""
    preview = container.preview_slack_summary().execute(principal)
    return ok(
        SummaryPreviewOut(
            text=preview.text, message=preview.rendered, next_at=preview.next_at, period_start=preview.period_start
        )
    )
