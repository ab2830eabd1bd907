"""`mailagent demo ...`: make the demo mailbox (embedded default) live — `demo deliver` drops a new message into a
user's demo inbox and syncs it, so an `email.received` event is stored for them.

The sync runs in this process and stores the event in the outbox; in the embedded default this process does not
publish it (it has no clients, see cli/local_relay.py): the running server's periodic `outbox.relay` job does,
within MAILAGENT_OUTBOX_RELAY_SECONDS. A user without a demo mailbox is told to connect one first."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Annotated, Any

import typer
from rich.console import Console

from application.use_cases.mail.sync_mailbox import SyncMailboxInput
from domain.errors import DomainError, InfrastructureError
from domain.identity import new_id
from domain.mail import INBOX, UNREAD, EmailAddress, OutgoingMessage
from domain.mail_account import MailAccount, MailProvider
from domain.mime import build_mime, deterministic_message_id
from entrypoints.cli import context

demo_app = typer.Typer(help="The demo mailbox (embedded default): make mail arrive.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DEFAULT_FROM = "Alex Rivera <alex.rivera@example.com>"


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _container() -> Any:
    return context.application()


def _demo_account(container: Any, email: str | None) -> MailAccount:
    """The demo account of the user with this e-mail, or of the only user who has one."""
    with container.uow() as uow:
        if email:
            user = uow.users.get_by_email(email.strip().lower())
            if user is None:
                _fail(f"No user {email}.")
            assert user is not None
            demo = [a for a in uow.mail_accounts.list_for_user(user.id) if a.provider is MailProvider.DEMO]
            if not demo:
                _fail(
                    f"{user.email} has no demo mailbox; connect it first: "
                    f"mailagent mail connect-demo --user {user.email}"
                )
            return demo[0]
        users = uow.users.list(offset=0, limit=1000)
        demo = [a for u in users for a in uow.mail_accounts.list_for_user(u.id) if a.provider is MailProvider.DEMO]
    if len(demo) != 1:
        _fail(
            "Say whose demo inbox receives it: --to EMAIL (the user's e-mail)."
            if demo
            else "No user has a demo mailbox; connect one first: mailagent mail connect-demo --user EMAIL"
        )
    return demo[0]


def _sender(value: str, option: str = "--from") -> EmailAddress:
    name, address = parseaddr(value)
    if "@" not in address or any(c.isspace() for c in address):
        _fail(f"{option} must be an address like 'Alex <alex@example.com>', not {value!r}.")
    return EmailAddress(address=address, name=name)


@demo_app.command("deliver")
def deliver(
    to: Annotated[
        str | None,
        typer.Option("--to", envvar="MAILAGENT_USER", help="The user (e-mail) whose demo inbox receives it"),
    ] = None,
    sender: Annotated[str, typer.Option("--from", help="Who it is from: 'Name <address>'")] = DEFAULT_FROM,
    subject: Annotated[str, typer.Option(help="Subject")] = "Hello from the demo",
    body: Annotated[str, typer.Option(help="Text body")] = "This message was just delivered to your demo inbox.",
    html: Annotated[
        str | None,
        typer.Option("--html", help="An HTML body as well (e.g. with a remote image, to try image blocking)"),
    ] = None,
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="Where replies should go instead: 'Name <address>'")
    ] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc", help="Also to (repeat for more): 'Name <address>'")] = None,
) -> None:
    """Deliver a new message to a user's demo inbox and announce it (email.received) like a real arrival."""
    container = _container()
    account = _demo_account(container, to)
    from_ = _sender(sender)
    try:
        mailbox = container.mailboxes().open(account)
        deliver_hook = getattr(mailbox, "deliver", None)
        if deliver_hook is None:
            _fail("This installation's demo mailbox cannot take deliveries.")
        sync = container.sync_mailbox()
        sync.execute(SyncMailboxInput(account.id))  # starts the change feed if it never ran; catches up first
        now = container.clock().now()
        raw = build_mime(
            OutgoingMessage(
                from_=from_,
                to=(EmailAddress(address=account.address),),
                cc=tuple(_sender(c, "--cc") for c in cc or ()),
                reply_to=(_sender(reply_to, "--reply-to"),) if reply_to else (),
                subject=subject,
                text_body=body,
                html_body=html,
            ),
            message_id=deterministic_message_id(new_id(), from_.address.rpartition("@")[2] or "example.com"),
            date=now,
        )
        message_id = deliver_hook(raw, [INBOX, UNREAD])
        result = sync.execute(SyncMailboxInput(account.id))
    except (DomainError, InfrastructureError) as exc:
        _fail(exc.message)
        return
    console.print(f"delivered message [bold]{message_id}[/bold] to {account.address} (account {account.id})")
    if result.events:
        console.print(
            f"{result.events} event(s) stored (email.received); a running `mailagent serve` announces them to the "
            "user's live clients within a few seconds"
        )
    else:
        console.print("no event: a message from the mailbox's own address is not announced as received")
