"""`mailagent events ...`: a user's stored events (what live clients receive), from a terminal."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console

from application.use_cases.read_events import ReadEventsInput
from entrypoints.cli.mail import UserOpt, _container, _principal, _run

events_app = typer.Typer(help="Live events: what WebSocket clients receive.", no_args_is_help=True)
console = Console()


@events_app.command("tail")
def tail(
    user: UserOpt = None,
    after: Annotated[int | None, typer.Option(help="Show events after this id (default: the last 10)")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events as they are stored")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Print the user's events, oldest first; with --follow, keep watching (Ctrl-C to stop)."""
    container = _container()
    principal = _principal(container, user)
    read = container.read_events()
    if after is None:
        after = max(0, read.execute(ReadEventsInput(principal.user_id, None)).latest - 10)
    cursor = after
    while True:
        batch = _run(lambda at=cursor: read.execute(ReadEventsInput(principal.user_id, at))).events
        for stored in batch:
            event = stored.event
            if as_json:
                print(
                    json.dumps(
                        {
                            "id": str(stored.seq),
                            "type": event.type.value,
                            "ts": event.occurred_at.isoformat(),
                            "data": dict(event.data),
                        }
                    ),
                    flush=True,
                )
            else:
                summary = ", ".join(f"{k}={v}" for k, v in event.data.items() if not isinstance(v, list | dict))
                console.print(
                    f"[dim]{stored.seq:>6}[/dim] {event.occurred_at:%H:%M:%S} [bold]{event.type.value}[/bold] {summary}"
                )
            cursor = stored.seq
        if not follow:
            return
        if not batch:
            time.sleep(1.0)
