"""`mailagent slack ...`: send a test message, or print (or post) the daily summary."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from entrypoints.cli.mail import UserOpt, _container, _principal, _run

slack_app = typer.Typer(help="Slack alerts and daily summaries.", no_args_is_help=True)
console = Console()


@slack_app.command("test")
def test(user: UserOpt = None) -> None:
    """Post a test message to the connected Slack."""
    container = _container()
    principal = _principal(container, user)
    _run(lambda: container.send_slack_test().execute(principal))
    console.print("test message posted to Slack")


@slack_app.command("summary")
def summary(
    preview: Annotated[bool, typer.Option("--preview", help="Print it instead of posting it")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --preview: the Slack message (Block Kit) as JSON")
    ] = False,
    user: UserOpt = None,
) -> None:
    """The summary of what arrived since the last one: printed with --preview, otherwise posted to Slack now."""
    container = _container()
    principal = _principal(container, user)
    shown = _run(lambda: container.preview_slack_summary().execute(principal))
    if preview:
        if as_json:
            print(json.dumps(shown.rendered, ensure_ascii=False, indent=2))
        else:
            console.print(shown.text, markup=False, highlight=False)
            if shown.next_at:
                console.print(f"\nnext summary: {shown.next_at.isoformat()}", markup=False)
        return
    from application.use_cases.notifications.slack import destination_of

    def post() -> None:
        integration = container.get_slack().execute(principal)
        container.notifier().send(destination_of(container.secret_store(), integration), shown.notification)

    _run(post)
    console.print("summary posted to Slack")
