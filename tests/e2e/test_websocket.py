"""`/api/v1/ws` as a client sees it: authentication, live events for the owner only (properties 15-17), replay
from the last event id, heartbeats, and the stream ending when the sign-in does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from domain.events import DomainEvent, EventType, StoredEvent
from domain.identity import new_id
from entrypoints.container import Container
from tests.support.app import Account, Api, make_app, make_settings

WS = "/api/v1/ws"


def emit(container: Container, user_id: str, kind: EventType = EventType.EMAIL_RECEIVED, **data: Any) -> None:
    """What a sync or a scheduled send does: store the event in a transaction, then relay it."""
    with container.uow() as uow:
        uow.events.append(
            DomainEvent(id=new_id(), user_id=user_id, type=kind, occurred_at=datetime.now(UTC), data=data)
        )
        uow.commit()
    container.outbox_relay().flush()


def protocols(account: Account) -> list[str]:
    return ["mailagent.v1", f"bearer.{account.access_token}"]


@pytest.fixture
def live(tmp_path: Path) -> tuple[Api, Container, Account, Account]:
    settings = make_settings(tmp_path, ws_heartbeat_seconds=30, ws_replay_limit=5)
    app, container = make_app(settings)
    api = Api(app, settings)
    alice = api.signup("alice@example.com")
    bob = api.signup("bob@example.com")
    return api, container, alice, bob


def next_event(ws: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] not in ("heartbeat", "pong"):
            return message


@pytest.mark.property(15)
def test_an_event_reaches_its_owner_with_type_id_ts_and_data(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, _ = live
    with api.client.websocket_connect(WS, subprotocols=protocols(alice)) as ws:
        assert ws.accepted_subprotocol == "mailagent.v1"
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["data"]["user_id"] == alice.user_id
        emit(container, alice.user_id, subject="Lunch?", message_id="m1")
        message = next_event(ws)
    assert message["type"] == "email.received"
    assert message["data"] == {"subject": "Lunch?", "message_id": "m1"}
    assert int(message["id"]) > int(ready["data"]["last_event_id"])
    assert datetime.fromisoformat(message["ts"]).tzinfo is not None


@pytest.mark.property(17)
def test_the_first_message_can_carry_the_token_instead(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, _ = live
    with api.client.websocket_connect(WS) as ws:
        ws.send_json({"type": "auth", "token": alice.access_token})
        assert ws.receive_json()["type"] == "ready"
        emit(container, alice.user_id, kind=EventType.AGENT_TASK_COMPLETED, task_id="t1")
        message = next_event(ws)
    assert message["type"] == "agent.task_completed" and message["data"]["task_id"] == "t1"  # property 17


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("bad-subprotocol-token", 4401),
        ("bad-first-message-token", 4401),
        ("not-json", 4400),
        ("wrong-first-message", 4401),
        ("token-in-query-string", 4401),
    ],
)
def test_bad_credentials_are_refused_with_a_close_code_and_a_reason(
    live: tuple[Api, Container, Account, Account], how: str, code: int
) -> None:
    api, _, alice, _ = live
    url, subprotocols = WS, ["mailagent.v1"]
    if how == "bad-subprotocol-token":
        subprotocols = ["mailagent.v1", "bearer.not-a-token"]
    elif how == "token-in-query-string":
        url = f"{WS}?token={alice.access_token}"  # deliberately unsupported: URLs end up in logs
    with api.client.websocket_connect(url, subprotocols=subprotocols) as ws:
        if how == "bad-first-message-token":
            ws.send_json({"type": "auth", "token": alice.access_token[:-4] + "AAAA"})
        elif how == "not-json":
            ws.send_text("hello")
        elif how in ("wrong-first-message", "token-in-query-string"):
            ws.send_json({"type": "subscribe"})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == code
    assert closed.value.reason  # a person can tell what went wrong


def test_an_api_key_without_mail_read_is_refused(live: tuple[Api, Container, Account, Account]) -> None:
    api, _, alice, _ = live
    r = api.post("/api/v1/api-keys", json={"name": "sender", "scopes": ["mail:send"]}, headers=alice.headers)
    assert r.status_code == 201, r.text
    key = r.json()["data"]["key"]
    with (
        api.client.websocket_connect(WS, subprotocols=["bearer." + key]) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 4403 and "mail:read" in closed.value.reason


def test_a_user_never_receives_another_users_events(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, bob = live
    with (
        api.client.websocket_connect(WS, subprotocols=protocols(alice)) as a,
        api.client.websocket_connect(WS, subprotocols=protocols(bob)) as b,
    ):
        a.receive_json(), b.receive_json()
        emit(container, alice.user_id, subject="for alice")
        emit(container, bob.user_id, subject="for bob")
        assert next_event(a)["data"]["subject"] == "for alice"
        assert next_event(b)["data"]["subject"] == "for bob"  # not alice's, which was published first


def test_a_reconnecting_client_gets_exactly_what_it_missed(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, bob = live
    with api.client.websocket_connect(WS, subprotocols=protocols(alice)) as ws:
        ws.receive_json()
        emit(container, alice.user_id, n=0)
        seen = next_event(ws)["id"]
    for n in (1, 2, 3):
        emit(container, alice.user_id, n=n)
        emit(container, bob.user_id, n=100 + n)
    with api.client.websocket_connect(f"{WS}?last_event_id={seen}", subprotocols=protocols(alice)) as ws:
        assert ws.receive_json()["type"] == "ready"
        replayed = [next_event(ws) for _ in range(3)]
        emit(container, alice.user_id, n=4)
        live_one = next_event(ws)
    assert [m["data"]["n"] for m in replayed] == [1, 2, 3]
    assert live_one["data"]["n"] == 4 and int(live_one["id"]) > int(replayed[-1]["id"])


def test_missing_more_than_the_replay_bound_says_so(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, _ = live
    for n in range(7):  # ws_replay_limit is 5
        emit(container, alice.user_id, n=n)
    with api.client.websocket_connect(WS) as ws:
        ws.send_json({"type": "auth", "token": alice.access_token, "last_event_id": "0"})
        ready = ws.receive_json()
        truncated = ws.receive_json()
    assert ready["type"] == "ready"
    assert truncated["type"] == "replay.truncated" and truncated["data"]["limit"] == 5


def test_heartbeats_flow_and_a_silent_client_is_dropped(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ws_heartbeat_seconds=0.1)
    app, _ = make_app(settings)
    api = Api(app, settings)
    alice = api.signup("alice@example.com")
    with api.client.websocket_connect(WS, subprotocols=protocols(alice)) as ws:
        ws.receive_json()
        for _ in range(5):  # an answering client stays connected through many intervals
            assert ws.receive_json()["type"] == "heartbeat"
            ws.send_json({"type": "pong"})
        kinds = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:  # now silent: dropped after three intervals
                kinds.append(ws.receive_json()["type"])
    assert set(kinds) == {"heartbeat"} and 1 <= len(kinds) <= 4
    assert closed.value.code == 4408


def test_signing_out_ends_the_stream(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ws_heartbeat_seconds=0.1)
    app, _ = make_app(settings)
    api = Api(app, settings)
    alice = api.signup("alice@example.com")
    with api.client.websocket_connect(WS, subprotocols=protocols(alice)) as ws:
        ws.receive_json()
        assert api.post("/api/v1/auth/logout", headers=alice.headers).status_code in (200, 204)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
                ws.send_json({"type": "pong"})
    assert closed.value.code == 4401


def test_a_token_of_another_user_cannot_take_over_a_stream(live: tuple[Api, Container, Account, Account]) -> None:
    api, _, alice, bob = live
    with api.client.websocket_connect(WS, subprotocols=protocols(alice)) as ws:
        ws.receive_json()
        ws.send_json({"type": "auth", "token": bob.access_token})
        with pytest.raises(WebSocketDisconnect) as closed:
            next_event(ws)
    assert closed.value.code == 4403


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Container, list[Account]]:
    settings = make_settings(
        tmp_path_factory.mktemp("ws-prop"),
        ws_heartbeat_seconds=30,
        rate_limit_per_minute=100_000,
        anonymous_rate_limit_per_minute=100_000,
    )
    app, container = make_app(settings)
    api = Api(app, settings)
    users = [api.signup(f"user{n}@example.com") for n in range(3)]
    return api.client, container, users


@pytest.mark.property(15, 16)
@settings(max_examples=100)
@given(owners=st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=12))
def test_property_each_client_receives_exactly_its_own_events_in_order(
    shared: tuple[TestClient, Container, list[Account]], owners: list[int]
) -> None:
    """Properties 15/16: whatever mix of users the events belong to, every connected user receives all of theirs,
    in the order they were raised, and nothing of anyone else's."""
    client, container, users = shared
    marker = new_id()
    with (
        client.websocket_connect(WS, subprotocols=protocols(users[0])) as s0,
        client.websocket_connect(WS, subprotocols=protocols(users[1])) as s1,
        client.websocket_connect(WS, subprotocols=protocols(users[2])) as s2,
    ):
        sockets = [s0, s1, s2]
        for ws in sockets:
            ws.receive_json()
        for n, owner in enumerate(owners):
            emit(container, users[owner].user_id, kind=EventType.EMAIL_LABELS_CHANGED, n=n, run=marker)
        for index in range(3):  # a closing event per user tells us its stream is complete
            emit(container, users[index].user_id, kind=EventType.EMAIL_DELETED, end=True, run=marker)
        for index, ws in enumerate(sockets):
            got: list[int] = []
            while True:
                message = next_event(ws)
                assert message["data"]["run"] == marker
                if message["type"] == "email.deleted":
                    break
                got.append(message["data"]["n"])
            assert got == [n for n, owner in enumerate(owners) if owner == index]


def test_the_wire_id_is_the_stored_sequence(live: tuple[Api, Container, Account, Account]) -> None:
    api, container, alice, _ = live
    emit(container, alice.user_id, subject="x")
    with container.uow() as uow:
        stored: StoredEvent = uow.events.after(alice.user_id, 0, limit=10)[-1]
    with api.client.websocket_connect(WS) as ws:
        ws.send_json({"type": "auth", "token": alice.access_token, "last_event_id": str(stored.seq - 1)})
        ws.receive_json()
        assert next_event(ws)["id"] == str(stored.seq)
