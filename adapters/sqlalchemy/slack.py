"""Users' Slack integrations on SQLAlchemy (Core statements)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import SlackIntegrationRow
from application.ports.notifier import SlackIntegrationRepository
from domain.slack import QuietHours, SlackIntegration, SlackMode, SummarySchedule

T = SlackIntegrationRow.__table__


def config_of(i: SlackIntegration) -> dict[str, Any]:
    return {
        "events": sorted(i.events),
        "timezone": i.timezone,
        "mail_filter": i.mail_filter,
        "quiet_hours": [i.quiet_hours.start.isoformat("minutes"), i.quiet_hours.end.isoformat("minutes")]
        if i.quiet_hours
        else None,
        "summary": {
            "at": i.summary.at.isoformat("minutes"),
            "weekdays": sorted(i.summary.weekdays),
            "enabled": i.summary.enabled,
        }
        if i.summary
        else None,
    }


def _entity(row: Row[Any]) -> SlackIntegration:
    m = row._mapping
    c = m["config"] or {}
    quiet, summary = c.get("quiet_hours"), c.get("summary")
    return SlackIntegration(
        user_id=m["user_id"],
        mode=SlackMode(m["mode"]),
        secret_ref=m["secret_ref"],
        channel=m["channel"],
        enabled=bool(m["enabled"]),
        events=frozenset(c.get("events") or ()),
        timezone=c.get("timezone") or "UTC",
        mail_filter=c.get("mail_filter") or "",
        quiet_hours=QuietHours(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1])) if quiet else None,
        summary=SummarySchedule(
            at=time.fromisoformat(summary["at"]),
            weekdays=frozenset(summary["weekdays"]),
            enabled=bool(summary["enabled"]),
        )
        if summary
        else None,
        last_summary_at=m["last_summary_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _values(i: SlackIntegration) -> dict[str, Any]:
    return {
        "user_id": i.user_id,
        "mode": i.mode.value,
        "secret_ref": i.secret_ref,
        "channel": i.channel,
        "enabled": i.enabled,
        "config": config_of(i),
        "last_summary_at": i.last_summary_at,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    }


class SqlAlchemySlackIntegrationRepository(SlackIntegrationRepository):
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def get(self, user_id: str) -> SlackIntegration | None:
        row = self.session.execute(select(T).where(T.c.user_id == user_id)).first()
        return _entity(row) if row is not None else None

    def put(self, integration: SlackIntegration) -> None:
        values = _values(integration)
        if self.get(integration.user_id) is None:
            self.session.execute(insert(T).values(**values))
        else:
            self.session.execute(update(T).where(T.c.user_id == integration.user_id).values(**values))

    def delete(self, user_id: str) -> None:
        self.session.execute(delete(T).where(T.c.user_id == user_id))

    def with_summaries(self) -> Sequence[SlackIntegration]:
        rows = self.session.execute(select(T).where(T.c.enabled.is_(True)).order_by(T.c.user_id))
        return [i for i in map(_entity, rows) if i.summary is not None and i.summary.enabled]
