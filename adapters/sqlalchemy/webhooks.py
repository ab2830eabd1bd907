"""Webhook endpoints, deliveries and attempts on SQLAlchemy (Core statements: no identity map hands back stale rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from application.ports.webhooks import WebhookRepository
from domain.webhooks import DeliveryAttempt, DeliveryStatus, DisabledReason, WebhookDelivery, WebhookEndpoint

E = WebhookEndpointRow.__table__
D = WebhookDeliveryRow.__table__
A = WebhookAttemptRow.__table__


def _endpoint_values(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "user_id": e.user_id,
        "url": e.url,
        "description": e.description,
        "event_types": sorted(e.event_types),
        "enabled": e.enabled,
        "secret_ref": e.secret_ref,
        "previous_secret_ref": e.previous_secret_ref,
        "previous_secret_expires_at": e.previous_secret_expires_at,
        "disabled_reason": e.disabled_reason.value if e.disabled_reason else None,
        "failing_since": e.failing_since,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _endpoint(row: Row[Any]) -> WebhookEndpoint:
    m = row._mapping
    return WebhookEndpoint(
        id=m["id"],
        user_id=m["user_id"],
        url=m["url"],
        description=m["description"],
        event_types=frozenset(m["event_types"] or ()),
        enabled=bool(m["enabled"]),
        secret_ref=m["secret_ref"],
        previous_secret_ref=m["previous_secret_ref"],
        previous_secret_expires_at=m["previous_secret_expires_at"],
        disabled_reason=DisabledReason(m["disabled_reason"]) if m["disabled_reason"] else None,
        failing_since=m["failing_since"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _delivery_values(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint_id": d.endpoint_id,
        "user_id": d.user_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "body": d.body,
        "status": d.status.value,
        "attempts": d.attempts,
        "replays": d.replays,
        "created_at": d.created_at,
        "next_attempt_at": d.next_attempt_at,
        "leased_until": d.leased_until,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "delivered_at": d.delivered_at,
    }


def _delivery(row: Row[Any]) -> WebhookDelivery:
    m = row._mapping
    return WebhookDelivery(
        id=m["id"],
        endpoint_id=m["endpoint_id"],
        user_id=m["user_id"],
        event_id=m["event_id"],
        event_type=m["event_type"],
        body=m["body"],
        status=DeliveryStatus(m["status"]),
        attempts=int(m["attempts"]),
        replays=int(m["replays"]),
        created_at=m["created_at"],
        next_attempt_at=m["next_attempt_at"],
        leased_until=m["leased_until"],
        last_status_code=m["last_status_code"],
        last_error=m["last_error"],
        delivered_at=m["delivered_at"],
    )


def _attempt(row: Row[Any]) -> DeliveryAttempt:
    m = row._mapping
    return DeliveryAttempt(
        id=m["id"],
        delivery_id=m["delivery_id"],
        number=int(m["number"]),
        at=m["at"],
        status_code=m["status_code"],
        latency_ms=int(m["latency_ms"]),
        response=m["response"],
        error=m["error"],
        outcome=m["outcome"],
    )


class SqlAlchemyWebhookRepository(WebhookRepository):
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.session.execute(insert(E).values(**_endpoint_values(endpoint)))

    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self.session.execute(select(E).where(E.c.id == endpoint_id)).first()
        return _endpoint(row) if row is not None else None

    def update_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.session.execute(update(E).where(E.c.id == endpoint.id).values(**_endpoint_values(endpoint)))

    def delete_endpoint(self, endpoint_id: str) -> None:
        # Explicitly, child tables first: SQLite enforces ON DELETE CASCADE only with its foreign-key pragma.
        deliveries = select(D.c.id).where(D.c.endpoint_id == endpoint_id)
        self.session.execute(delete(A).where(A.c.delivery_id.in_(deliveries)))
        self.session.execute(delete(D).where(D.c.endpoint_id == endpoint_id))
        self.session.execute(delete(E).where(E.c.id == endpoint_id))

    def endpoints_for_user(self, user_id: str) -> Sequence[WebhookEndpoint]:
        rows = self.session.execute(select(E).where(E.c.user_id == user_id).order_by(E.c.created_at, E.c.id))
        return [_endpoint(r) for r in rows]

    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        # INSERT .. ON CONFLICT DO NOTHING: an event relayed twice must not abort the relay's transaction.
        dialect = self.session.get_bind().dialect.name
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert_(D)
            .values(**_delivery_values(delivery))
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            .returning(D.c.id)
        )
        return self.session.execute(stmt).first() is not None

    def get_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        row = self.session.execute(select(D).where(D.c.id == delivery_id)).first()
        return _delivery(row) if row is not None else None

    def update_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.execute(update(D).where(D.c.id == delivery.id).values(**_delivery_values(delivery)))

    def lease(self, delivery_id: str, *, now: datetime, until: datetime) -> WebhookDelivery | None:
        # One conditional UPDATE: on PostgreSQL the row lock makes a racing transaction re-check and match nothing.
        row = self.session.execute(
            update(D)
            .where(
                D.c.id == delivery_id,
                D.c.status == DeliveryStatus.PENDING.value,
                or_(D.c.leased_until.is_(None), D.c.leased_until <= now),
            )
            .values(leased_until=until)
            .returning(*D.c)
        ).first()
        return _delivery(row) if row is not None else None

    def deliveries_for_endpoint(
        self, endpoint_id: str, *, status: DeliveryStatus | None, before: datetime | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        query = select(D).where(D.c.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(D.c.status == status.value)
        if before is not None:
            query = query.where(D.c.created_at < before)
        rows = self.session.execute(query.order_by(D.c.created_at.desc(), D.c.id.desc()).limit(limit))
        return [_delivery(r) for r in rows]

    def failed_since(self, endpoint_id: str, since: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        rows = self.session.execute(
            select(D)
            .where(D.c.endpoint_id == endpoint_id, D.c.status == DeliveryStatus.FAILED.value, D.c.created_at >= since)
            .order_by(D.c.created_at, D.c.id)
            .limit(limit)
        )
        return [_delivery(r) for r in rows]

    def overdue(self, now: datetime, *, before: datetime, limit: int) -> Sequence[WebhookDelivery]:
        rows = self.session.execute(
            select(D)
            .where(
                D.c.status == DeliveryStatus.PENDING.value,
                D.c.next_attempt_at < before,
                or_(D.c.leased_until.is_(None), D.c.leased_until <= now),
            )
            .order_by(D.c.next_attempt_at, D.c.id)
            .limit(limit)
        )
        return [_delivery(r) for r in rows]

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.session.execute(
            insert(A).values(
                id=attempt.id,
                delivery_id=attempt.delivery_id,
                number=attempt.number,
                at=attempt.at,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                response=attempt.response,
                error=attempt.error,
                outcome=attempt.outcome,
            )
        )

    def attempts(self, delivery_id: str) -> Sequence[DeliveryAttempt]:
        rows = self.session.execute(
            select(A).where(A.c.delivery_id == delivery_id).order_by(A.c.number, A.c.at, A.c.id)
        )
        return [_attempt(r) for r in rows]
