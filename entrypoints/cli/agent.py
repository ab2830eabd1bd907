"""`mailagent chat`: talk to the agent in the terminal; every pending action is shown as its card (made from the frozen
snapshot: each recipient with its flags, the full body, attachments) and runs only when you answer y. e edits it:
the edit is resolved into a new snapshot, shown again, and waits for your y like the first."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.console import Console

from domain.errors import DomainError, InfrastructureError
from entrypoints.cli import context

console = Console()
err = Console(stderr=True)
EXIT_WORDS = {"exit", "quit", ":q", "bye"}


def _container() -> Any:
    return context.application()


def _show_turn(turn: Any) -> None:
    for a in turn.activity:
        console.print(f"[dim]· {a.tool} → {a.status}{(': ' + a.summary) if a.summary else ''}[/dim]")
    if turn.reply:
        console.print(f"[bold]agent[/bold] ({turn.model or 'agent'}): {turn.reply}", markup=True, highlight=False)


def _edited_payload(payload: dict[str, Any]) -> dict[str, Any] | None:
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    if os.environ.get("EDITOR") or os.environ.get("VISUAL"):
        changed = typer.edit(text, extension=".json")
        raw = changed if changed is not None else text
    else:
        raw = typer.prompt("edited payload (JSON on one line)", default=json.dumps(payload, ensure_ascii=False))
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        err.print(f"[red]not JSON:[/red] {exc.msg}")
        return None
    if not isinstance(parsed, dict):
        err.print("[red]the payload must be a JSON object[/red]")
        return None
    return parsed


def _show_action(action: Any, stale: bool) -> None:
    if action.snapshot is None:
        console.print(
            f"[yellow]pending:[/yellow] {action.summary} [red](prepared by an older version: reject it)[/red]"
        )
        return
    console.print("[yellow]pending:[/yellow]", end=" ")
    console.print(action.snapshot.card().as_text(), highlight=False, markup=False)
    console.print(f"[dim]snapshot {action.snapshot.hash[:16]}[/dim]")
    if stale:
        console.print(
            "[yellow]The draft changed since this was prepared: y sends the version above, u takes the new one."
            "[/yellow]"
        )


def _decide_all(container: Any, principal: Any, turn: Any) -> Any:
    """Ask about each pending action of the turn; returns the agent's turn after the last decision (or None)."""
    from application.use_cases.agent.decide_pending_action import DecidePendingActionInput
    from application.use_cases.agent.edit_pending_action import EditPendingActionInput
    from application.use_cases.agent.list_pending_actions import ListPendingActionsInput
    from entrypoints.cli.mail import CLI_CONTEXT

    listing = container.list_pending_actions()
    found = listing.execute(ListPendingActionsInput(principal, None, turn.conversation_id))
    by_id = {a.id: a for a in found}
    resumed = None
    for action_id in turn.pending_action_ids:
        action = by_id.get(action_id)
        if action is None:
            continue
        while True:
            stale = action.id in listing.stale(principal, [action])
            _show_action(action, stale)
            question = "approve? [y]es / [n]o / [e]dit" + (" / [u]se the draft's new version" if stale else "")
            answer = typer.prompt(question).strip().lower()
            if answer in ("e", "edit") or (stale and answer in ("u", "use")):
                payload = _edited_payload(dict(action.payload)) if answer in ("e", "edit") else None
                if answer in ("e", "edit") and payload is None:
                    continue
                try:
                    action = container.edit_pending_action().execute(
                        EditPendingActionInput(principal, action.id, payload, CLI_CONTEXT)
                    )
                except (DomainError, InfrastructureError) as exc:
                    err.print(f"[red]error:[/red] {exc.message}")
                console.print("[dim]the edited action, to approve or not:[/dim]")
                continue
            if answer in ("y", "yes", "n", "no"):
                break
            err.print("answer y, n or e" + (" or u" if stale else ""))
        approve = answer in ("y", "yes")
        expected = action.snapshot.hash if approve and action.snapshot is not None else None
        try:
            outcome = container.decide_pending_action().execute(
                DecidePendingActionInput(principal, action.id, approve, expected, CLI_CONTEXT)
            )
        except (DomainError, InfrastructureError) as exc:
            err.print(f"[red]error:[/red] {exc.message}")
            continue
        done = outcome.action
        verdict = {"executed": "done", "failed": f"failed: {done.error}", "rejected": "rejected"}.get(
            done.status.value, done.status.value
        )
        console.print(f"[green]→ {verdict}[/green]", highlight=False)
        if outcome.turn is not None:
            resumed = outcome.turn
    return resumed


def _show_changes(container: Any, principal: Any, cid: str, since: Any) -> list[Any]:
    """What the agent changed on its own in this turn (and in approved batches), each undoable with `undo`."""
    from application.use_cases.agent.undo_agent_change import ListAgentChangesInput

    changes = [
        c for c in container.list_agent_changes().execute(ListAgentChangesInput(principal, cid, since)) if c.undoable
    ]
    for c in changes:
        console.print(f"[dim]· changed: {c.summary}[/dim]", highlight=False)
    if changes:
        console.print("[dim]  (type undo to reverse these)[/dim]")
    return changes


def _undo_all(container: Any, principal: Any, changes: list[Any]) -> list[Any]:
    from application.use_cases.agent.undo_agent_change import UndoAgentChangeInput
    from entrypoints.cli.mail import CLI_CONTEXT

    if not changes:
        err.print("nothing to undo: the agent changed nothing on its own in its last turn")
        return []
    left = []
    for c in reversed(changes):  # newest first, so later changes never undo on top of earlier ones
        try:
            container.undo_agent_change().execute(UndoAgentChangeInput(principal, c.id, CLI_CONTEXT))
            console.print(f"[green]undone:[/green] {c.summary}", highlight=False)
        except (DomainError, InfrastructureError) as exc:
            err.print(f"[red]could not undo[/red] {c.summary}: {exc.message}")
            left.append(c)
    return left


def chat(
    user: Annotated[
        str | None, typer.Option("--user", envvar="MAILAGENT_USER", help="Act as this user (e-mail address)")
    ] = None,
    conversation: Annotated[str | None, typer.Option("--conversation", help="Continue this conversation")] = None,
) -> None:
    """Chat with the agent. Type undo to reverse what the agent changed on its own in its last turn (labels, read
    state, archive, drafts); exit (or Ctrl-D) to leave."""
    from application.use_cases.agent.chat import ChatInput
    from entrypoints.cli.mail import _principal

    container = _container()
    principal = _principal(container, user)
    cid = conversation
    last_changes: list[Any] = []
    console.print("[dim]mailagent chat — type undo to reverse the agent's last changes, exit to leave[/dim]")
    while True:
        try:
            message = typer.prompt("you", prompt_suffix="> ")
        except typer.Abort:
            break
        if message.strip().lower() in EXIT_WORDS:
            break
        if not message.strip():
            continue
        if message.strip().lower() == "undo":
            last_changes = _undo_all(container, principal, last_changes)
            continue
        started = container.clock().now()
        try:
            turn = container.agent_chat().execute(ChatInput(principal, message, cid))
        except (DomainError, InfrastructureError) as exc:
            err.print(f"[red]error:[/red] {exc.message}")
            continue
        cid = turn.conversation_id
        _show_turn(turn)
        while turn is not None and turn.pending_action_ids:
            turn = _decide_all(container, principal, turn)
            if turn is not None:
                _show_turn(turn)
        last_changes = _show_changes(container, principal, cid, started)
    if cid:
        console.print(f"[dim]conversation {cid}[/dim]")


def mcp(
    user: Annotated[
        str | None, typer.Option("--user", envvar="MAILAGENT_USER", help="Act as this user (e-mail address)")
    ] = None,
) -> None:
    """Serve the agent's tools to an MCP client over stdio (Claude Desktop, Claude Code, ...), as this user. Sends,
    replies and trashing wait for your approval in the web app or `mailagent chat`; docs/mcp.md."""
    import anyio

    from entrypoints.cli.mail import _principal
    from entrypoints.mcp_server import MailagentMcp

    container = _container()
    principal = _principal(container, user)
    server = MailagentMcp(container, lambda _ctx: principal)
    anyio.run(server.run_stdio)
