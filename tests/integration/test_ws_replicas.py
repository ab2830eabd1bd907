"""Two API replicas on one PostgreSQL and one Redis, each a real uvicorn server: an event raised on one reaches a
WebSocket client connected to the other, and only its owner (issue 4's fan-out across replicas)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from adapters.redis.event_bus import RedisEventBus
from domain.events import DomainEvent, EventType
from domain.identity import new_id
from entrypoints.container import Container
from tests.support.app import PASSWORD, make_app, make_settings, outbox_link
from tests.support.servers import running


def signup(base: str, settings: Any, email: str) -> tuple[str, str]:
    with httpx.Client(base_url=base) as http:
        assert http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        token = outbox_link(settings, email, "verify-email")
        assert http.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
        data = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["data"]
    return data["user"]["id"], data["access_token"]


def raise_event(container: Container, user_id: str, **data: Any) -> None:
    with container.uow() as uow:
        uow.events.append(
            DomainEvent(
                id=new_id(), user_id=user_id, type=EventType.EMAIL_RECEIVED, occurred_at=datetime.now(UTC), data=data
            )
        )
        uow.commit()
    container.outbox_relay().flush()


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/api/v1/ws"


def receive(ws: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if message["type"] != "heartbeat":
            return message


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str, redis_url: str) -> tuple[Any, Container, Container]:
    settings = make_settings(
        tmp_path,
        profile="production",
        database_url=postgres_url,
        redis_url=redis_url,
        event_channel=f"mailagent-test:{uuid.uuid4().hex[:8]}:events",
        job_queue_name=f"test-{uuid.uuid4().hex[:8]}",
        anonymous_rate_limit_per_minute=1000,
    )
    first, container_a = make_app(settings)
    second, container_b = make_app(settings, migrate=False)
    return settings, (first, container_a), (second, container_b)


@pytest.mark.property(15)
def test_an_event_raised_on_one_replica_reaches_a_client_of_the_other(replicas: Any) -> None:
    settings, (app_a, container_a), (app_b, container_b) = replicas
    assert isinstance(container_a.event_bus(), RedisEventBus)
    with running(app_a) as base_a, running(app_b) as base_b:
        alice, alice_token = signup(base_a, settings, "alice@example.com")
        bob, bob_token = signup(base_a, settings, "bob@example.com")
        with (
            connect(ws_url(base_b), subprotocols=["mailagent.v1", f"bearer.{alice_token}"]) as alice_on_b,
            connect(ws_url(base_a), subprotocols=["mailagent.v1", f"bearer.{bob_token}"]) as bob_on_a,
        ):
            assert receive(alice_on_b)["type"] == "ready" and receive(bob_on_a)["type"] == "ready"
            raise_event(container_a, alice, subject="raised on A")  # alice listens on B
            raise_event(container_b, bob, subject="raised on B")  # bob listens on A
            got_alice = receive(alice_on_b)
            got_bob = receive(bob_on_a)
    assert got_alice["type"] == "email.received" and got_alice["data"]["subject"] == "raised on A"
    assert got_bob["data"]["subject"] == "raised on B"  # and not alice's, raised first


def test_a_client_reconnecting_to_the_other_replica_replays_from_the_shared_store(replicas: Any) -> None:
    settings, (app_a, container_a), (app_b, _) = replicas
    with running(app_a) as base_a, running(app_b) as base_b:
        alice, token = signup(base_a, settings, "carol@example.com")
        with connect(ws_url(base_a), subprotocols=["mailagent.v1", f"bearer.{token}"]) as ws:
            receive(ws)
            raise_event(container_a, alice, n=1)
            last = receive(ws)["id"]
        raise_event(container_a, alice, n=2)
        raise_event(container_a, alice, n=3)
        with connect(ws_url(base_b)) as ws:
            ws.send(json.dumps({"type": "auth", "token": token, "last_event_id": last}))
            assert receive(ws)["type"] == "ready"
            assert [receive(ws)["data"]["n"] for _ in range(2)] == [2, 3]
