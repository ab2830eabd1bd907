"""The MCP server (issue 19), driven by the official `mcp` client over stdio (`mailagent mcp`, a real subprocess) and
over streamable HTTP (`/mcp` on a real uvicorn server, API-key auth): tool listing, a search, a send that becomes a
pending action and is sent exactly once after the owner approves it in the app, scope refusals, and another user's
pending action ids answering "not found"."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.support.app import Api, make_app, make_settings
from tests.support.servers import running

API = "/api/v1"


def data(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


def structured(result: Any) -> dict[str, Any]:
    out: dict[str, Any] = result.structured_content
    return out


def sent(api: Api, headers: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(api.get(f"{API}/emails", params={"label": "SENT"}, headers=headers))
    return found


def key(api: Api, headers: dict[str, str], *scopes: str) -> str:
    body = {"name": "mcp " + " ".join(scopes), "scopes": list(scopes)}
    created: str = data(api.post(f"{API}/api-keys", json=body, headers=headers), 201)["key"]
    return created


def test_mcp_over_http_is_behind_the_gate_and_the_api_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo_mailbox_size=10, rate_limit_per_minute=100_000)
    app, _container = make_app(settings)
    api = Api(app, settings)
    alice, mallory = api.signup("alice@example.com"), api.signup("mallory@example.com")
    assert api.post(f"{API}/mail/accounts/demo", headers=alice.headers).status_code in (200, 201)
    full = key(api, alice.headers, "agent", "mail:read", "mail:send", "mail:modify")
    read_only = key(api, alice.headers, "agent", "mail:read")
    no_agent = key(api, alice.headers, "mail:read")
    mallory_key = key(api, mallory.headers, "agent", "mail:read", "mail:send", "mail:modify")
    before = len(sent(api, alice.headers))

    with running(app) as base:

        def client(api_key: str | None) -> Client:
            headers = {"X-API-Key": api_key} if api_key else {}
            return Client(streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(headers=headers)))

        async def scenario() -> dict[str, Any]:
            out: dict[str, Any] = {}
            async with client(full) as c:
                tools = {t.name: t for t in (await c.list_tools()).tools}
                out["tools"] = tools
                out["search"] = structured(await c.call_tool("search_emails", {"query": "offsite", "limit": 3}))
                held = await c.call_tool(
                    "send_email", {"to": ["dave@example.com"], "subject": "From MCP", "body": "Hello from a client"}
                )
                out["held"] = structured(held)
                out["held_error"] = held.is_error
                out["bad_args"] = await c.call_tool("send_email", {"subject": "nobody"})
                out["resources"] = {str(r.uri) for r in (await c.list_resources()).resources}
                labels = await c.read_resource("mailagent://labels")
                out["labels"] = json.loads(labels.contents[0].text)
                recent = await c.read_resource("mailagent://threads/recent")
                out["recent"] = json.loads(recent.contents[0].text)
                out["prompts"] = {p.name for p in (await c.list_prompts()).prompts}
                reply = await c.get_prompt("reply", {"about": "the offsite", "points": "I'm in"})
                out["reply_prompt"] = reply.messages[0].content.text
            async with client(read_only) as c:
                out["read_only_send"] = structured(
                    await c.call_tool("send_email", {"to": ["dave@example.com"], "subject": "x", "body": "y"})
                )
            async with client(no_agent) as c:
                out["no_agent"] = await c.call_tool("search_emails", {"query": ""})
            async with client(mallory_key) as c:
                out["mallory"] = await c.call_tool(
                    "get_pending_action", {"pending_action_id": out["held"]["pending_action_id"]}
                )
            return out

        out = anyio.run(scenario)
        tools = out["tools"]
        assert {"search_emails", "send_email", "reply", "trash", "get_pending_action"} <= set(tools)
        assert (
            "approval" in (tools["send_email"].description or "") and tools["search_emails"].annotations.read_only_hint
        )
        assert "untrusted_mail_content" in out["search"] and out["search"]["untrusted_mail_content"]["messages"]
        held = out["held"]
        assert held["status"] == "waiting_for_approval" and held["pending_action_id"] and not out["held_error"]
        assert "From MCP" in held["card"] and "dave@example.com" in held["card"]
        assert out["resources"] == {"mailagent://labels", "mailagent://threads/recent"}
        assert "Work" in {label["name"] for label in out["labels"]["labels"]}
        assert out["recent"]["untrusted_mail_content"]["messages"]  # mail stays wrapped as data
        assert out["prompts"] == {"triage", "reply"}
        assert "the offsite" in out["reply_prompt"] and "I'm in" in out["reply_prompt"]
        assert "approval" in out["reply_prompt"]
        assert out["bad_args"].is_error and "draft_id or at least one recipient" in structured(out["bad_args"])["error"]
        assert "could not be prepared" in out["read_only_send"]["error"]  # the key has no mail:send
        assert out["no_agent"].is_error and "'agent' scope" in structured(out["no_agent"])["error"]
        assert out["mallory"].is_error and "No such pending action" in structured(out["mallory"])["error"]
        assert len(sent(api, alice.headers)) == before  # nothing left before the owner decides

        # no key, a wrong key: 401 before MCP sees the request
        anonymous = httpx2.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
        wrong = httpx2.post(f"{base}/mcp", json={}, headers={"X-API-Key": "mak_nope"})
        assert wrong.status_code == 401

        # the owner approves in the app; the client sees the outcome; it was sent once
        action_id = held["pending_action_id"]
        done = data(api.post(f"{API}/agent/actions/{action_id}/approve", headers=alice.headers))
        assert done["action"]["status"] == "executed"

        async def poll() -> dict[str, Any]:
            async with client(full) as c:
                return structured(await c.call_tool("get_pending_action", {"pending_action_id": action_id}))

        outcome = anyio.run(poll)
        assert outcome["status"] == "executed" and outcome["pending_action_id"] == action_id
        subjects = [m["subject"] for m in sent(api, alice.headers)]
        assert subjects.count("From MCP") == 1
    api.client.close()


def test_mcp_without_the_app_lifespan_says_it_is_not_running(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)  # no `with`: the lifespan (which loads the MCP SDK) never ran
    r = api.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable"
    api.client.close()


def test_mailagent_mcp_over_stdio(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "10",
    }
    settings = make_settings(tmp_path, demo_mailbox_size=10)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("stdio@example.com")
    assert api.post(f"{API}/mail/accounts/demo", headers=me.headers).status_code in (200, 201)
    mailagent = str(Path(sys.executable).with_name("mailagent"))
    params = StdioServerParameters(command=mailagent, args=["mcp", "--user", "stdio@example.com"], env=env)

    async def scenario() -> tuple[set[str], dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with Client(params, read_timeout_seconds=120) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            found = structured(await c.call_tool("search_emails", {"query": "", "limit": 2}))
            held = structured(
                await c.call_tool(
                    "reply", {"message_id": found["untrusted_mail_content"]["messages"][0]["id"], "body": "Thanks!"}
                )
            )
            polled = structured(
                await c.call_tool("get_pending_action", {"pending_action_id": held["pending_action_id"]})
            )
            return names, found, held, polled

    names, found, held, polled = anyio.run(scenario)
    assert {"search_emails", "reply", "get_pending_action"} <= names
    assert len(found["untrusted_mail_content"]["messages"]) == 2
    assert held["status"] == "waiting_for_approval" and polled["status"] == "pending"
    pending = data(api.get(f"{API}/agent/actions", headers=me.headers))
    assert [a["id"] for a in pending] == [held["pending_action_id"]]  # the person sees it in the app
    api.client.close()
