"""`/api/v1/ws`: live events for the signed-in user, with heartbeats and replay from the last event id.

Protocol (docs/websocket.md):
- Authenticate with the access token (or an API key with mail:read) either as a subprotocol
  (`Sec-WebSocket-Protocol: mailagent.v1, bearer.<token>`) or as the first message
  `{"type": "auth", "token": "...", "last_event_id": "42"}` within 10 s. Never in the URL (it ends up in logs).
- The server answers `ready` (with the newest event id), replays what the client missed after `last_event_id`
  (bounded; `replay.truncated` when more was missed, so the client refreshes), then streams events as
  `{"type", "id", "ts", "data"}`.
- A `heartbeat` every `ws_heartbeat_seconds`; the client answers anything (`{"type": "pong"}`). A client silent for
  three intervals is dropped. The credential is re-checked at each heartbeat, so logout, revocation and expiry end
  the stream; `{"type": "auth", "token": ...}` swaps in a fresh token of the same user.
- Close codes: 4400 bad message, 4401 not authenticated / credential no longer valid, 4403 lacks scope or another
  user's token, 4408 no reply to heartbeats, 4429 too many connections, 4009 too slow to keep up (reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from application.use_cases.agent.decide_pending_action import DecidePendingActionInput
from application.use_cases.authenticate import AuthenticateInput
from application.use_cases.read_events import ReadEventsInput
from domain.audit import AuditContext
from domain.errors import AuthenticationFailed, DomainError, InfrastructureError
from domain.identity import Principal, Scope
from entrypoints.container import Container
from entrypoints.http.live import LiveConnection, LiveHub, Outgoing, event_text
from entrypoints.http.middleware import client_ip

router = APIRouter(tags=["live"])

SUBPROTOCOL = "mailagent.v1"
BEARER_PREFIX = "bearer."
AUTH_TIMEOUT_SECONDS = 10.0
MISSED_HEARTBEATS = 3

CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_HEARTBEAT = 4408
CLOSE_RATE_LIMITED = 4429
CLOSE_TOO_SLOW = 4009


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason[:120]  # a close reason must fit in 123 bytes


def hub_for(websocket: WebSocket) -> LiveHub:
    state = websocket.app.state
    hub: LiveHub | None = getattr(state, "live_hub", None)
    if hub is None:
        hub = state.live_hub = LiveHub(state.container.event_bus())
    return hub


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _control(kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": kind, "id": None, "ts": _now(), "data": data or {}}


def _parse_last_id(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw)
    if not text.isdigit() or len(text) > 18:
        raise _Close(CLOSE_BAD_MESSAGE, "last_event_id must be the id of an event you received (digits).")
    return int(text)


async def _authenticate(container: Container, credential: str) -> Principal:
    try:
        principal = await run_in_threadpool(container.authenticate().execute, AuthenticateInput(credential))
    except AuthenticationFailed as exc:
        raise _Close(CLOSE_UNAUTHENTICATED, exc.message) from None
    if not principal.has_scope(Scope.MAIL_READ):
        raise _Close(CLOSE_FORBIDDEN, "This credential lacks the 'mail:read' scope needed for live updates.")
    return principal


async def _rate_limit(container: Container, key: str, limit: int) -> None:
    decision = await run_in_threadpool(container.rate_limiter().hit, key, limit=limit, window_seconds=60)
    if not decision.allowed:
        raise _Close(CLOSE_RATE_LIMITED, f"Too many connection attempts. Try again in {decision.retry_after} s.")


async def _first_message(websocket: WebSocket) -> dict[str, Any]:
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise _Close(CLOSE_UNAUTHENTICATED, 'Authenticate within 10 s: send {"type": "auth", "token": ...}.') from None
    message = _json_object(raw)
    if message.get("type") != "auth" or not isinstance(message.get("token"), str) or not message["token"]:
        raise _Close(CLOSE_UNAUTHENTICATED, 'The first message must be {"type": "auth", "token": "..."}.')
    return message


def _json_object(raw: str) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError:
        raise _Close(CLOSE_BAD_MESSAGE, "Messages must be JSON objects.") from None
    if not isinstance(message, dict):
        raise _Close(CLOSE_BAD_MESSAGE, "Messages must be JSON objects.")
    return message


@router.websocket("/ws")
async def live_updates(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    settings = container.settings()
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    credential = next((p[len(BEARER_PREFIX) :] for p in offered if p.startswith(BEARER_PREFIX)), None)
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    connection: LiveConnection | None = None
    hub = hub_for(websocket)
    try:
        await _rate_limit(container, f"ip:{client_ip(websocket.scope)}", settings.anonymous_rate_limit_per_minute)
        last_id = _parse_last_id(websocket.query_params.get("last_event_id"))
        if credential is None:
            first = await _first_message(websocket)
            credential = first["token"]
            last_id = _parse_last_id(first.get("last_event_id", last_id))
        principal = await _authenticate(container, credential)
        await _rate_limit(container, f"ws:{principal.user_id}", settings.rate_limit_per_minute)

        # Listen before reading the replay, so nothing falls between the two; duplicates are skipped by seq.
        connection = LiveConnection(
            principal.user_id, asyncio.get_running_loop(), max_pending=settings.ws_replay_limit * 2
        )
        await run_in_threadpool(hub.attach, connection)  # the first one subscribes (Redis): not on the event loop
        high_water = await _replay(websocket, container, principal.user_id, last_id)
        await _stream(websocket, container, connection, principal, credential, high_water)
    except _Close as close:
        with contextlib.suppress(Exception):
            await websocket.close(code=close.code, reason=close.reason)
    except WebSocketDisconnect:
        pass
    finally:
        if connection is not None:
            hub.detach(connection)


async def _replay(websocket: WebSocket, container: Container, user_id: str, last_id: int | None) -> int:
    limit = container.settings().ws_replay_limit

    found = await run_in_threadpool(container.read_events().execute, ReadEventsInput(user_id, last_id, limit=limit + 1))
    latest, missed = found.latest, found.events
    await websocket.send_json(
        _control(
            "ready",
            {
                "user_id": user_id,
                "last_event_id": str(latest),
                "heartbeat_seconds": container.settings().ws_heartbeat_seconds,
            },
        )
    )
    if last_id is None:
        return latest
    if len(missed) > limit:
        # Too much to replay: say so and start from now; the client reloads its views over REST.
        await websocket.send_json(_control("replay.truncated", {"limit": limit, "resume_from": str(latest)}))
        return latest
    for stored in missed:
        await websocket.send_text(event_text(stored))
    return missed[-1].seq if missed else last_id


async def _stream(
    websocket: WebSocket,
    container: Container,
    connection: LiveConnection,
    principal: Principal,
    credential: str,
    high_water: int,
) -> None:
    interval = max(0.05, float(container.settings().ws_heartbeat_seconds))
    state = {"last_heard": time.monotonic(), "credential": credential}
    receiver = asyncio.create_task(_receive(websocket, container, principal, state))
    getter: asyncio.Task[Outgoing | None] = asyncio.create_task(connection.inbox.get())
    try:
        next_beat = time.monotonic() + interval
        while True:
            timeout = max(0.0, next_beat - time.monotonic())
            done, _ = await asyncio.wait({receiver, getter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                receiver.result()  # re-raises the close or the disconnect
                return
            if getter not in done:
                if time.monotonic() - state["last_heard"] > interval * MISSED_HEARTBEATS:
                    raise _Close(CLOSE_NO_HEARTBEAT, "No reply to heartbeats; reconnect with your last event id.")
                await _recheck(container, principal, str(state["credential"]))
                await websocket.send_json(_control("heartbeat"))
                next_beat = time.monotonic() + interval
                continue
            outgoing = getter.result()
            getter = asyncio.create_task(connection.inbox.get())
            if connection.overflowed:
                raise _Close(CLOSE_TOO_SLOW, "Too many events queued for this connection; reconnect with your last id.")
            if outgoing is not None and outgoing[0] > high_water:
                await websocket.send_text(outgoing[1])
                high_water = outgoing[0]
    finally:
        for task in (receiver, getter):
            task.cancel()
        for task in (receiver, getter):
            with contextlib.suppress(BaseException):
                await task


async def _recheck(container: Container, principal: Principal, credential: str) -> None:
    """The token may have expired, or the session been revoked, since the socket opened."""
    try:
        current = await run_in_threadpool(container.authenticate().execute, AuthenticateInput(credential))
    except AuthenticationFailed:
        raise _Close(CLOSE_UNAUTHENTICATED, "Your sign-in ended or expired; reconnect with a fresh token.") from None
    except (DomainError, InfrastructureError):
        return  # a passing outage of the store is not the client's fault; check again at the next beat
    if current.user_id != principal.user_id:
        raise _Close(CLOSE_FORBIDDEN, "That token belongs to another user.")


async def _receive(websocket: WebSocket, container: Container, principal: Principal, state: dict[str, Any]) -> None:
    while True:
        raw = await websocket.receive_text()
        state["last_heard"] = time.monotonic()
        message = _json_object(raw)
        kind = message.get("type")
        if kind in ("pong", "heartbeat"):
            continue
        if kind == "ping":
            await websocket.send_json(_control("pong"))
        elif kind in ("agent.approve", "agent.reject"):
            await _decide(websocket, container, str(state["credential"]), message, approve=kind == "agent.approve")
        elif kind == "auth" and isinstance(message.get("token"), str):
            fresh = await _authenticate(container, message["token"])
            if fresh.user_id != principal.user_id:
                raise _Close(CLOSE_FORBIDDEN, "That token belongs to another user.")
            state["credential"] = message["token"]
        else:
            raise _Close(
                CLOSE_BAD_MESSAGE,
                f"Unknown message type {str(kind)[:40]!r}; expected pong, ping, auth, agent.approve or agent.reject.",
            )


async def _decide(
    websocket: WebSocket, container: Container, credential: str, message: dict[str, Any], *, approve: bool
) -> None:
    """Approve or reject one of the user's pending agent actions, as POST /agent/actions/{id}/approve|reject does:
    the same use case, the same owner-only rule; the answer is an `agent.decision` (or an `error`) message."""
    action_id = message.get("action_id")
    expected = message.get("snapshot_hash")
    if not isinstance(action_id, str) or not action_id or (expected is not None and not isinstance(expected, str)):
        await websocket.send_json(
            _control(
                "error",
                {"code": "validation_failed", "message": "Send action_id (and the snapshot_hash you looked at)."},
            )
        )
        return
    if "payload" in message:
        await websocket.send_json(
            _control(
                "error",
                {
                    "code": "validation_failed",
                    "message": "An edit is not an approval: POST /api/v1/agent/actions/{id}/edit, look at the new "
                    "card, then approve it.",
                    "action_id": action_id,
                },
            )
        )
        return
    principal = await _authenticate(container, credential)  # the credential as it stands now, not at connect
    context = AuditContext(
        ip=client_ip(websocket.scope), user_agent=(websocket.headers.get("user-agent") or "")[:300] or None
    )
    try:
        outcome = await run_in_threadpool(
            container.decide_pending_action().execute,
            DecidePendingActionInput(principal, action_id, approve, expected if approve else None, context),
        )
    except (DomainError, InfrastructureError) as exc:
        await websocket.send_json(_control("error", {"code": exc.code, "message": exc.message, "action_id": action_id}))
        return
    action = outcome.action
    data: dict[str, Any] = {"action_id": action.id, "status": action.status.value, "error": action.error}
    if outcome.turn is not None:
        data["reply"] = outcome.turn.reply
    await websocket.send_json(_control("agent.decision", data))
