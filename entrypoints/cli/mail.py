"""`mailagent mail ...`: the mail use cases from a terminal, acting as one user of this installation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from application.mail_compose import Compose
from domain.audit import AuditContext
from domain.errors import DomainError, InfrastructureError
from domain.identity import Principal, scopes_for_role
from domain.mail import Message
from entrypoints.cli import context

mail_app = typer.Typer(help="Mail: accounts, search, read, send, drafts, labels.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
CLI_CONTEXT = AuditContext(user_agent="mailagent-cli")

UserOpt = Annotated[
    str | None, typer.Option("--user", envvar="MAILAGENT_USER", help="Act as this user (e-mail address)")
]
AccountOpt = Annotated[str | None, typer.Option("--account", help="Mail account id (default: the first one)")]
AttachOpt = Annotated[
    list[Path] | None,
    typer.Option("--attach", help="Attach this file (repeat for more; 25 MB in all, scanned for malware)"),
]


def _container() -> Any:
    return context.application()


def _principal(container: Any, email: str | None) -> Principal:
    with container.uow() as uow:
        if email:
            user = uow.users.get_by_email(email.strip().lower())
            if user is None:
                _fail(f"No user {email}.")
        else:
            users = [u for u in uow.users.list(offset=0, limit=1000) if uow.mail_accounts.list_for_user(u.id)]
            if len(users) != 1:
                _fail("Say which user to act as: --user EMAIL (or MAILAGENT_USER).")
            user = users[0]
    assert user is not None
    return Principal(user=user, scopes=scopes_for_role(user.role))


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _run(fn: Any) -> Any:
    try:
        return fn()
    except (DomainError, InfrastructureError) as exc:
        _fail(exc.message)


def _messages_table(messages: tuple[Message, ...] | list[Message], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "date", "from", "subject", "labels"):
        table.add_column(column, overflow="fold")
    for m in messages:
        marker = "● " if m.is_unread else ""
        labels = ",".join(sorted(label for label in m.label_ids if not label.startswith("CATEGORY_")))
        sender = (m.from_.name or m.from_.address) if m.from_ else ""
        table.add_row(m.id, f"{m.date:%Y-%m-%d %H:%M}", sender, marker + (m.subject or "(no subject)"), labels)
    return table


@mail_app.command("accounts")
def accounts(user: UserOpt = None) -> None:
    """List connected mailboxes."""
    from application.use_cases.mail.list_mail_accounts import ListMailAccountsInput

    container = _container()
    found = container.list_mail_accounts().execute(ListMailAccountsInput(_principal(container, user)))
    table = Table(title="mail accounts")
    for column in ("id", "provider", "address", "status"):
        table.add_column(column)
    for a in found:
        table.add_row(a.id, a.provider.value, a.address, a.status.value)
    console.print(table)


@mail_app.command("connect-demo")
def connect_demo(user: UserOpt = None) -> None:
    """Connect the demo mailbox (embedded default)."""
    from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput

    container = _container()
    principal = _principal(container, user) if user else _fail("--user is required to connect a mailbox")
    account = _run(lambda: container.connect_demo_account().execute(ConnectDemoAccountInput(principal, CLI_CONTEXT)))
    console.print(f"connected demo mailbox [bold]{account.address}[/bold] (account {account.id})")


@mail_app.command("imap-presets")
def imap_presets() -> None:
    """The providers whose IMAP/SMTP servers are known (use --preset other for your own)."""
    from domain.mail_servers import PRESETS

    table = Table(title="IMAP/SMTP presets")
    for column in ("preset", "provider", "imap", "smtp", "app password"):
        table.add_column(column, overflow="fold")
    for p in PRESETS.values():
        table.add_row(
            p.id, p.name, f"{p.imap.label()} {p.imap.security}", f"{p.smtp.label()} {p.smtp.security}", p.help
        )
    console.print(table)


@mail_app.command("connect-imap")
def connect_imap(
    address: Annotated[str, typer.Argument(help="The mailbox's address")],
    preset: Annotated[
        str, typer.Option(help="outlook, fastmail, icloud, yahoo, gmx, or other (then give the servers)")
    ] = "other",
    username: Annotated[str | None, typer.Option(help="Login name (default: the address)")] = None,
    imap_host: Annotated[str | None, typer.Option()] = None,
    imap_port: Annotated[int, typer.Option(min=1, max=65535)] = 993,
    imap_security: Annotated[str, typer.Option(help="tls, starttls, or none (this machine only)")] = "tls",
    smtp_host: Annotated[str | None, typer.Option()] = None,
    smtp_port: Annotated[int, typer.Option(min=1, max=65535)] = 465,
    smtp_security: Annotated[str, typer.Option(help="tls, starttls, or none (this machine only)")] = "tls",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
    user: UserOpt = None,
) -> None:
    """Connect an IMAP/SMTP mailbox. The (app) password is asked for without echo, read from standard input, or
    taken from MAILAGENT_IMAP_PASSWORD; never from the command line, where shell history would keep it."""
    import os

    from application.use_cases.mail.connect_imap_account import ConnectImapAccountInput
    from domain.mail_servers import Endpoint, Security

    container = _container()
    principal = _principal(container, user) if user else _fail("--user is required to connect a mailbox")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("MAILAGENT_IMAP_PASSWORD") or typer.prompt("Password", hide_input=True)
    try:
        imap = Endpoint(imap_host, imap_port, Security(imap_security)) if imap_host else None
        smtp = Endpoint(smtp_host, smtp_port, Security(smtp_security)) if smtp_host else None
    except ValueError:
        _fail("Security is one of tls, starttls, none.")
    console.print("signing in to the IMAP and SMTP servers...")
    account = _run(
        lambda: container.connect_imap_account().execute(
            ConnectImapAccountInput(
                principal,
                address=address,
                password=password,
                preset=preset,
                username=username,
                imap=imap,
                smtp=smtp,
                context=CLI_CONTEXT,
            )
        )
    )
    console.print(f"connected IMAP mailbox [bold]{account.address}[/bold] (account {account.id})")


@mail_app.command("idle")
def idle(
    refresh: Annotated[float, typer.Option(help="Seconds between looks for newly connected accounts")] = 60.0,
) -> None:
    """Push for IMAP accounts: hold an IDLE connection to each one's INBOX and queue its sync job the moment mail
    arrives (run beside the workers; without it IMAP accounts are polled every MAILAGENT_MAIL_POLL_SECONDS)."""
    import threading

    from application.use_cases.mail.sync_mailbox import SYNC_JOB, SYNC_RETRY, sync_job_id
    from domain.mail_account import AccountStatus, MailProvider
    from entrypoints.imap_push import ImapPushWatcher
    from entrypoints.imap_wiring import imap_account

    container = _container()
    jobs, secrets = container.job_queue(), container.secret_store()

    def queue_sync(account_id: str) -> None:
        jobs.enqueue(SYNC_JOB, {"account_id": account_id}, job_id=sync_job_id(account_id), retry=SYNC_RETRY)

    watcher = ImapPushWatcher(queue_sync)
    stop = threading.Event()
    console.print("watching IMAP accounts with IDLE (Ctrl-C stops)")
    try:
        while not stop.is_set():
            with container.uow() as uow:
                found = [a for a in uow.mail_sync.accounts(MailProvider.IMAP) if a.status is AccountStatus.ACTIVE]
            for account in found:
                try:
                    watcher.watch(account.id, imap_account(secrets, account))
                except (DomainError, InfrastructureError) as exc:
                    err.print(f"account {account.id}: {exc.message}")
            stop.wait(refresh)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop(timeout=5)


@mail_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Gmail syntax, e.g. 'from:alice is:unread'")] = "",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    page_token: Annotated[str | None, typer.Option()] = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Search mail, newest first."""
    from application.use_cases.mail.search_emails import SearchEmailsInput

    container = _container()
    principal = _principal(container, user)
    _, page = _run(
        lambda: container.search_emails().execute(
            SearchEmailsInput(principal, query, account, (), page_token, limit, CLI_CONTEXT)
        )
    )
    console.print(_messages_table(page.messages, f"search: {query or '(everything)'}"))
    if page.next_page_token:
        console.print(f"next page: --page-token {page.next_page_token}")


@mail_app.command("show")
def show(
    message_id: str,
    thread: Annotated[bool, typer.Option("--thread", help="Show the whole conversation")] = False,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Show a message (or its thread) as text."""
    from application.use_cases.mail.get_email import GetEmailInput
    from application.use_cases.mail.get_thread import GetThreadInput

    container = _container()
    principal = _principal(container, user)
    if thread:
        _, items = _run(
            lambda: container.get_thread().execute(GetThreadInput(principal, message_id, account, CLI_CONTEXT))
        )
    else:
        items = [
            _run(lambda: container.get_email().execute(GetEmailInput(principal, message_id, account, CLI_CONTEXT)))
        ]
    for item in items:
        m = item.message
        console.rule(f"[bold]{m.subject or '(no subject)'}[/bold]  [dim]{m.id}[/dim]")
        console.print(f"From: {m.from_ or ''}\nTo: {', '.join(str(a) for a in m.to)}\nDate: {m.date:%Y-%m-%d %H:%M %Z}")
        if m.cc:
            console.print(f"Cc: {', '.join(str(a) for a in m.cc)}")
        console.print(f"Labels: {', '.join(sorted(m.label_ids))}")
        for a in m.attachments:
            console.print(f"[dim]attachment {a.id}: {a.filename} ({a.mime_type}, {a.size} bytes)[/dim]")
        console.print()
        console.print(m.text_body, markup=False, highlight=False)


def _body(body: str | None, body_file: Path | None) -> str:
    if body_file is not None:
        return sys.stdin.read() if str(body_file) == "-" else body_file.read_text()
    return body or ""


def _attach(container: Any, principal: Principal, files: list[Path] | None) -> tuple[str, ...]:
    """Upload each file through the same use case as the web app (size limit, sniffing, malware scan)."""
    from application.use_cases.attachments.upload_attachment import UploadAttachmentInput

    ids = []
    for path in files or ():
        if not path.is_file():
            _fail(f"{path}: no such file.")
        with path.open("rb") as stream:
            request = UploadAttachmentInput(principal, path.name, stream, CLI_CONTEXT)
            upload = _run(lambda request=request: container.upload_attachment().execute(request))
        verdict = "not scanned" if upload.verdict.value == "not_scanned" else upload.verdict.value
        err.print(f"attached {upload.filename} ({upload.size:,} bytes, {upload.content_type}, {verdict})")
        ids.append(upload.id)
    return tuple(ids)


@mail_app.command("send")
def send(
    to: Annotated[list[str], typer.Option("--to", help="Recipient (repeat for more)")],
    subject: Annotated[str, typer.Option("--subject")] = "",
    body: Annotated[str | None, typer.Option("--body")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Read the body from a file, - for stdin")
    ] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc")] = None,
    reply_to: Annotated[str | None, typer.Option("--reply-to", help="Reply to this message id instead")] = None,
    attach: AttachOpt = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Send a message now (or reply to one with --reply-to), with --attach FILE for each attachment."""
    from application.use_cases.mail.reply_to_email import ReplyToEmailInput
    from application.use_cases.mail.send_email import SendEmailInput

    container = _container()
    principal = _principal(container, user)
    text = _body(body, body_file)
    ids = _attach(container, principal, attach)
    if reply_to:
        sent = _run(
            lambda: container.reply_to_email().execute(
                ReplyToEmailInput(
                    principal, reply_to, text, None, False, tuple(cc or ()), account, None, CLI_CONTEXT, ids
                )
            )
        )
    else:
        compose = Compose(to=tuple(to), cc=tuple(cc or ()), subject=subject, text_body=text, attachment_ids=ids)
        sent = _run(
            lambda: container.send_email().execute(SendEmailInput(principal, compose, account, None, CLI_CONTEXT))
        )
    console.print(f"sent [bold]{sent.subject}[/bold] (message {sent.id}, {sent.message_id_header})")


@mail_app.command("draft")
def draft(
    to: Annotated[list[str] | None, typer.Option("--to")] = None,
    subject: Annotated[str, typer.Option("--subject")] = "",
    body: Annotated[str | None, typer.Option("--body")] = None,
    send_id: Annotated[str | None, typer.Option("--send", help="Send this draft id instead of creating one")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List drafts")] = False,
    attach: AttachOpt = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Create a draft, list drafts (--list) or send one (--send ID)."""
    from application.use_cases.mail.list_drafts import ListDraftsInput
    from application.use_cases.mail.save_draft import SaveDraftInput
    from application.use_cases.mail.send_draft import SendDraftInput

    container = _container()
    principal = _principal(container, user)
    if list_:
        page = _run(lambda: container.list_drafts().execute(ListDraftsInput(principal, account)))
        table = Table(title="drafts")
        for column in ("draft id", "to", "subject"):
            table.add_column(column)
        for d in page.drafts:
            table.add_row(d.id, ", ".join(str(a) for a in d.message.to), d.message.subject)
        console.print(table)
        return
    if send_id:
        sent = _run(lambda: container.send_draft().execute(SendDraftInput(principal, send_id, account, CLI_CONTEXT)))
        console.print(f"sent draft {send_id} as message {sent.id}")
        return
    compose = Compose(
        to=tuple(to or ()), subject=subject, text_body=body or "", attachment_ids=_attach(container, principal, attach)
    )
    saved = _run(
        lambda: container.save_draft().execute(SaveDraftInput(principal, compose, None, None, account, CLI_CONTEXT))
    )
    console.print(f"saved draft [bold]{saved.id}[/bold]")


@mail_app.command("label")
def label(
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message ids")] = None,
    add: Annotated[list[str] | None, typer.Option("--add", help="Label id or name to add")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Label id or name to remove")] = None,
    create: Annotated[str | None, typer.Option("--create", help="Create a label with this name")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List labels with counts")] = False,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """List labels, create one, or add/remove labels on messages (in bulk)."""
    from application.use_cases.mail.create_label import CreateLabelInput
    from application.use_cases.mail.list_labels import ListLabelsInput
    from application.use_cases.mail.modify_labels import ModifyLabelsInput

    container = _container()
    principal = _principal(container, user)
    if create:
        made = _run(lambda: container.create_label().execute(CreateLabelInput(principal, create, account, CLI_CONTEXT)))
        console.print(f"created label [bold]{made.name}[/bold] ({made.id})")
    if message_ids:
        _run(
            lambda: container.modify_labels().execute(
                ModifyLabelsInput(
                    principal, tuple(message_ids), tuple(add or ()), tuple(remove or ()), account, CLI_CONTEXT
                )
            )
        )
        console.print(f"updated {len(message_ids)} message(s)")
    if list_ or not (create or message_ids):
        listing = _run(lambda: container.list_labels().execute(ListLabelsInput(principal, account)))
        table = Table(title="labels")
        for column in ("id", "name", "type", "total", "unread"):
            table.add_column(column)
        for item in listing.labels:
            table.add_row(item.id, item.name, item.type.value, str(item.messages_total), str(item.messages_unread))
        console.print(table)
        if listing.notice:
            err.print(f"[yellow]{listing.notice}[/yellow]")


@mail_app.command("schedule")
def schedule(
    to: Annotated[list[str], typer.Option("--to", help="Recipient (repeat for more)")],
    at: Annotated[str, typer.Option("--at", help="When: 2026-12-01T09:00 (with --timezone) or with an offset")],
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA zone, e.g. Europe/Paris")] = None,
    subject: Annotated[str, typer.Option("--subject")] = "",
    body: Annotated[str | None, typer.Option("--body")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Read the body from a file, - for stdin")
    ] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc")] = None,
    attach: AttachOpt = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Schedule a message to be sent later (exactly once; `mailagent serve` or `worker` sends it)."""
    from application.use_cases.scheduled.schedule_email import ScheduleEmailInput

    container = _container()
    principal = _principal(container, user)
    compose = Compose(
        to=tuple(to),
        cc=tuple(cc or ()),
        subject=subject,
        text_body=_body(body, body_file),
        attachment_ids=_attach(container, principal, attach),
    )
    done = _run(
        lambda: container.schedule_email().execute(
            ScheduleEmailInput(principal, compose, at, timezone, account, CLI_CONTEXT)
        )
    )
    email = done.email
    console.print(
        f"scheduled [bold]{email.message.subject}[/bold] (id {email.id}) for "
        f"{email.local_send_at:%Y-%m-%d %H:%M %Z} ({email.send_at:%Y-%m-%d %H:%M} UTC)"
    )
    if done.adjustment:
        console.print(f"[yellow]note:[/yellow] {done.adjustment}")


@mail_app.command("scheduled")
def scheduled(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="scheduled, sending, sent, failed, cancelled (repeat)")
    ] = None,
    cancel: Annotated[str | None, typer.Option("--cancel", help="Cancel the scheduled email with this id")] = None,
    user: UserOpt = None,
) -> None:
    """List your scheduled emails, or cancel one with --cancel ID."""
    from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmailInput
    from application.use_cases.scheduled.list_scheduled_emails import ListScheduledEmailsInput
    from domain.scheduled_email import ScheduledStatus

    container = _container()
    principal = _principal(container, user)
    if cancel:
        email = _run(
            lambda: container.cancel_scheduled_email().execute(
                CancelScheduledEmailInput(principal, cancel, CLI_CONTEXT)
            )
        )
        console.print(f"cancelled [bold]{email.message.subject}[/bold] (id {email.id})")
        return
    try:
        statuses = tuple(ScheduledStatus(s) for s in status or ())
    except ValueError:
        _fail(f"--status must be one of: {', '.join(s.value for s in ScheduledStatus)}.")
    items, total = _run(
        lambda: container.list_scheduled_emails().execute(ListScheduledEmailsInput(principal, statuses, 0, 100))
    )
    shown = f"{len(items)} of {total}" if total > len(items) else str(total)
    table = Table(title=f"Scheduled emails ({shown}, soonest first)")
    for column in ("id", "status", "send at (local)", "to", "subject"):
        table.add_column(column)
    for email in items:
        table.add_row(
            email.id,
            email.status.value,
            f"{email.local_send_at:%Y-%m-%d %H:%M %Z}",
            ", ".join(a.address for a in email.message.to),
            email.message.subject,
        )
    console.print(table)
