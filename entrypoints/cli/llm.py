"""`mailagent llm ...`: configure the agent's language model from a terminal (the key never appears in argv)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from entrypoints.cli import context

llm_app = typer.Typer(help="The agent's language model (see docs/llm.md).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _container():  # type: ignore[no-untyped-def]
    return context.core(migrate=False)  # the secret store and settings: no database needed


@llm_app.command("set-key")
def set_key() -> None:
    """Store the LLM API key in the secret store (read from stdin, or asked for without echo)."""
    from entrypoints.llm_wiring_hosted import store_llm_api_key

    key = sys.stdin.readline() if not sys.stdin.isatty() else typer.prompt("LLM API key", hide_input=True)
    if not key.strip():
        err.print("[red]error:[/red] no key given")
        raise typer.Exit(1)
    store_llm_api_key(_container().secret_store(), key)
    console.print("Stored the LLM API key under llm/api_key (used when MAILAGENT_LLM_API_KEY is empty).")


@llm_app.command("clear-key")
def clear_key() -> None:
    """Remove the stored LLM API key."""
    from entrypoints.llm_wiring_hosted import llm_api_key_ref

    store = _container().secret_store()
    store.delete(llm_api_key_ref(store))
    console.print("Removed the stored LLM API key.")


@llm_app.command("status")
def status() -> None:
    """Show the configured provider, model, base URL and where the key comes from (never the key)."""
    from entrypoints.llm_wiring_hosted import resolve_llm_api_key

    container = _container()
    settings = container.settings()
    _, source = resolve_llm_api_key(settings, container.secret_store())
    console.print(f"provider: {settings.llm_provider}")
    console.print(f"model:    {settings.llm_model or '(provider default)'}")
    console.print(f"base URL: {settings.llm_base_url or '(provider default)'}")
    console.print(f"API key:  {source}")
