"""`mailagent`: serve the app, migrate the database, manage users and check the audit chain."""

from __future__ import annotations

import importlib
import os
import secrets
import string
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup

from domain.errors import DomainError, InfrastructureError
from entrypoints.cli import context

# Sub-command groups imported only when they are run (or listed by --help): `audit verify` or `db current` must not
# pay for the calendar, webhook, mail and agent stacks (issue 13: cheap commands <= 1 s). name -> (module, attribute).
LAZY_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "mail": ("entrypoints.cli.mail", "mail_app"),
    "demo": ("entrypoints.cli.demo", "demo_app"),
    "events": ("entrypoints.cli.events", "events_app"),
    "llm": ("entrypoints.cli.llm", "llm_app"),
    "calendar": ("entrypoints.cli.calendar", "calendar_app"),
    "contacts": ("entrypoints.cli.calendar", "contacts_app"),
    "webhooks": ("entrypoints.cli.webhooks", "webhooks_app"),
    "slack": ("entrypoints.cli.slack", "slack_app"),
    "chat": ("entrypoints.cli.agent", "chat"),
    "mcp": ("entrypoints.cli.agent", "mcp"),
}


class LazyGroup(TyperGroup):
    """Click's documented lazy-loading group: a sub-command's module is imported the first time it is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_SUBCOMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_SUBCOMMANDS:
            module_name, attribute = LAZY_SUBCOMMANDS[cmd_name]
            target = getattr(importlib.import_module(module_name), attribute)
            holder = typer.Typer(add_completion=False)
            if isinstance(target, typer.Typer):
                holder.add_typer(target, name=cmd_name)
            else:
                holder.command(cmd_name)(target)
            holder.command("-")(lambda: None)  # two entries: Typer never collapses the holder into its only command
            command = typer.main.get_group(holder).commands[cmd_name]
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(help="mailagent — a self-hostable email agent platform.", no_args_is_help=True, cls=LazyGroup)
db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from MAILAGENT_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from MAILAGENT_PORT)")] = None,
    migrate: Annotated[bool | None, typer.Option(help="Migrate first (default: yes in the local profile)")] = None,
) -> None:
    """Serve the API (and web app). The embedded default needs nothing else running."""
    import uvicorn

    from entrypoints.http.app import create_app
    from entrypoints.logging_setup import configure_logging
    from entrypoints.observability import ship_logs_to_cloudwatch

    settings = context.settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)
    ship_logs_to_cloudwatch(settings, stream="api")
    context.ready_database(settings, migrate=migrate)
    container = context.application(settings, runs_jobs=True, migrate=False)
    uvicorn.run(
        create_app(container),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        # Our middleware logs each request (with its request id); uvicorn's access logger has no handler here
        # (logging_setup.py), but uvicorn would still make its record's arguments for every request.
        access_log=False,
    )


@app.command()
def worker(
    burst: Annotated[
        bool, typer.Option("--burst", help="Run everything due (and each periodic job once), then exit")
    ] = False,
) -> None:
    """Run background jobs: RQ workers with the scheduler in production, the in-process queue locally."""
    from entrypoints.logging_setup import configure_logging
    from entrypoints.observability import (
        install_samplers,
        serve_metrics_port,
        ship_logs_to_cloudwatch,
        use_multiprocess_metrics,
    )
    from entrypoints.worker.runtime import run_worker

    settings = context.settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)
    ship_logs_to_cloudwatch(settings, stream="worker")
    forking = settings.profile == "production"
    if forking:
        use_multiprocess_metrics()  # RQ forks a work horse per job; they all count into shared files
    container = context.application(settings, runs_jobs=True)
    install_samplers(container, forking_worker=forking)
    server = None if burst else serve_metrics_port(container)
    try:
        run_worker(container, burst=burst)
    finally:
        if server is not None:
            server.shutdown()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from adapters.sqlalchemy.migrate import current, upgrade

    url = context.settings().resolved_database_url
    upgrade(url, revision)
    console.print(f"database at revision [bold]{current(url)}[/bold]")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Revert migrations down to REVISION (default: one step; `base` removes every table)."""
    from adapters.sqlalchemy.migrate import current, downgrade

    url = context.settings().resolved_database_url
    downgrade(url, revision)
    console.print(f"database at revision [bold]{current(url) or 'base'}[/bold]")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision and the newest one available."""
    from adapters.sqlalchemy.migrate import schema_state

    state = schema_state(context.settings().resolved_database_url)
    now, newest = state.current, state.head
    console.print(f"current: [bold]{now or 'base (empty)'}[/bold]   head: {newest}")
    if now != newest:
        console.print("run [bold]mailagent db upgrade[/bold] to migrate")


@db_app.command("check")
def db_check(
    wait: Annotated[float, typer.Option(help="Keep checking for up to this many seconds (init containers)")] = 0,
) -> None:
    """Exit 0 when the database is at the newest revision this version knows, 1 otherwise (or when unreachable).
    Kubernetes runs it with --wait in an init container, so pods start only after the migration Job ran."""
    import time

    from adapters.sqlalchemy.migrate import current, head

    url = context.settings().resolved_database_url
    newest = head()
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            now = current(url)
            problem = (
                None if now == newest else f"the database is at {now or 'base (empty)'}, this version needs {newest}"
            )
        except Exception as exc:  # unreachable, no such database...: keep waiting, say why at the end
            problem = f"the database cannot be reached ({type(exc).__name__})"
        if problem is None:
            console.print(f"database at revision [bold]{newest}[/bold]")
            return
        if time.monotonic() >= deadline:
            _fail(f"{problem}; run `mailagent db upgrade` (the migration Job).")
        time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(16))
    return f"{core[:8]}-{core[8:]}-{secrets.choice(string.digits)}A!"


@user_app.command("create")
def user_create(
    email: Annotated[str | None, typer.Option(help="E-mail address")] = None,
    password: Annotated[str | None, typer.Option(help="Password (prompted when missing)")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator")] = False,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Succeed quietly if the user exists")] = False,
    generate: Annotated[bool, typer.Option("--generate-password", help="Generate and print a password")] = False,
) -> None:
    """Create an active user (verified, no e-mail needed)."""
    from application.use_cases.create_user import CreateUserInput
    from entrypoints.email_syntax import EmailNotValidError, validate_email

    if email is None:
        email = typer.prompt("E-mail")
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        _fail(f"{email!r} is not a valid e-mail address: {exc}")
    container = context.UserCreation()
    if if_missing:
        with container.uow() as uow:
            if uow.users.get_by_email(email.lower()) is not None:
                console.print(f"user {email} already exists")
                return
    if password is None:
        if generate:
            password = generate_password()
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = container.create_user().execute(CreateUserInput(email=email, password=password, admin=admin))
    except DomainError as exc:
        _fail(exc.message)
    console.print(f"created {user.role.value} [bold]{user.email}[/bold] (id {user.id})")
    if generate:
        console.print(f"password: [bold]{password}[/bold]")


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        typer.Option("--head", help="A head printed or logged earlier (SEQ:HASH): also prove the log still holds it"),
    ] = None,
) -> None:
    """Walk the audit log's sealed hash chain; exit 1 and name the first entry that was changed, removed or moved.
    Prints the newest sealed head: keep it elsewhere and pass it as --head later to detect truncation."""
    from application.use_cases.verify_audit_chain import VerifyAuditChainInput
    from domain.audit import AuditHead

    kept = None
    if head is not None:
        try:
            kept = AuditHead.parse(head)
        except ValueError as exc:
            _fail(f"--head {head!r}: {exc}", code=2)
    report = context.verify_audit_chain().execute(VerifyAuditChainInput(kept))
    if not report.ok:
        _fail(
            f"audit chain BROKEN at seq {report.first_broken_seq}: {report.reason} "
            f"({report.checked} entries ok before it)"
        )
    console.print(f"[green]audit chain intact[/green]: {report.checked} sealed entries verified")
    if kept is not None:
        console.print(f"the log still holds the kept head {kept.seq}")
    console.print(f"head: {report.head}", highlight=False, soft_wrap=True)
    if report.unsealed:
        since = (
            f", the oldest written {report.oldest_unsealed_at:%Y-%m-%d %H:%M:%S} UTC"
            if report.oldest_unsealed_at
            else ""
        )
        console.print(
            f"{report.unsealed} newer entries are not sealed yet{since}: not covered by this check. A running "
            "`mailagent serve` (embedded default) or `mailagent worker` seals them within seconds; "
            "`mailagent audit seal` seals them now."
        )


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every committed audit entry into the hash chain now (the server and workers do it every second)."""
    report = context.seal_audit_log().execute()
    if report.skipped:
        console.print("another process is sealing right now; nothing to do")
        return
    console.print(f"sealed {report.sealed} entries; head: {report.head}", highlight=False, soft_wrap=True)


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="The archive to write, e.g. mailagent-2026-12-01.tar.gz")],
) -> None:
    """Embedded default: a consistent copy of the data directory (SQLite online backup while the server runs, keys,
    encrypted secrets) in one 0600 archive. Production: use pg_dump / point-in-time recovery (docs/runbook.md)."""
    from adapters.local_backup.archive import BackupError, LocalBackup
    from adapters.sqlalchemy.migrate import current

    settings = _local_only("backup")
    try:
        report = LocalBackup(settings.data_dir).create(
            target, note={"revision": current(settings.resolved_database_url) or "base"}
        )
    except BackupError as exc:
        _fail(str(exc))
    console.print(
        f"backed up {report.files} files ({report.databases} databases) to [bold]{report.path}[/bold] "
        f"({report.bytes // 1024} KiB). It holds the keys: keep it as private as the data directory."
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive made by `mailagent backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty data directory (kept aside)")] = False,
) -> None:
    """Embedded default: put a backup in place (stop `mailagent serve` first), then check the audit chain."""
    from adapters.local_backup.archive import BackupError, LocalBackup

    settings = _local_only("restore")
    try:
        manifest = LocalBackup(settings.data_dir).restore(archive, force=force)
    except BackupError as exc:
        _fail(str(exc))
    console.print(f"restored {len(manifest['files'])} files from {manifest['created_at']} into {settings.data_dir}")  # type: ignore[arg-type]
    if manifest.get("previous_data_dir"):
        console.print(f"the directory it replaced is kept at {manifest['previous_data_dir']}")
    report = context.verify_audit_chain().execute()
    if not report.ok:
        _fail(f"restored, but the audit chain is BROKEN at seq {report.first_broken_seq}: {report.reason}")
    console.print(f"[green]audit chain intact[/green]: {report.checked} entries verified")


def _local_only(what: str):  # type: ignore[no-untyped-def]
    from entrypoints.settings import Settings

    settings = Settings()
    if settings.profile != "local":
        _fail(
            f"`mailagent {what}` is for the embedded default (SQLite). In production back up PostgreSQL with pg_dump "
            "or point-in-time recovery: docs/runbook.md, 'Back up and restore'."
        )
    return settings


@app.command("demo-admin")
def demo_admin(
    email: Annotated[str, typer.Option()] = "admin@mailagent.local",
    credentials_file: Annotated[Path | None, typer.Option(help="Where to keep the generated password")] = None,
) -> None:
    """Local profile: create the demo administrator once and print its credentials (kept 0600 in the data dir)."""
    from application.use_cases.create_user import CreateUserInput

    container = context.UserCreation()
    settings = container.settings
    path = credentials_file or settings.data_dir / "demo-admin.txt"
    with container.uow() as uow:
        exists = uow.users.get_by_email(email) is not None
    if not exists:
        password = generate_password()
        container.create_user().execute(CreateUserInput(email=email, password=password, admin=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{email}\n{password}\n")
    if path.exists():
        saved_email, saved_password = path.read_text().splitlines()[:2]
        console.print(f"demo admin: [bold]{saved_email}[/bold]  password: [bold]{saved_password}[/bold]")
    else:
        console.print(f"demo admin {email} exists (its password was set elsewhere)")


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except InfrastructureError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        sys.exit(2)
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        # A configuration error: one clear sentence naming the setting, exit 2 (systemd does not restart on it).
        from entrypoints.settings import configuration_error

        err.print(f"[red]configuration error:[/red] {configuration_error(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as exc:
        unreachable = _database_unreachable(exc)
        if unreachable is None:
            raise
        err.print(f"[red]error:[/red] {unreachable}", highlight=False, soft_wrap=True)
        sys.exit(1)  # not a configuration error: a service manager may try again


def _database_unreachable(exc: Exception) -> str | None:
    """One sentence for a database that cannot be reached at start-up (wrong host or port, not running, refused
    credentials), instead of SQLAlchemy's traceback. The URL is shown without its password."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    from sqlalchemy.engine import make_url

    from entrypoints.settings import Settings

    try:
        url = make_url(Settings().resolved_database_url).render_as_string(hide_password=True)
    except Exception:
        url = "MAILAGENT_DATABASE_URL"
    reason = next((line.strip() for line in str(exc.orig or exc).splitlines() if line.strip()), "no answer")
    return (
        f"The database at {url} cannot be reached ({reason[:200]}); check MAILAGENT_DATABASE_URL and that the "
        "database server is running."
    )


if __name__ == "__main__":
    main()
