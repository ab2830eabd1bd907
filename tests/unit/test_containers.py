"""The per-context containers and their composition: what each command imports, builds and shares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dependency_injector import containers, providers

from adapters.system.clock import SystemClock
from entrypoints.container import CONTEXTS, Container, build_container
from entrypoints.containers.compose import context
from tests.support.app import make_settings

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "starlette", "langgraph", "langchain_core", "googleapiclient", "boto3", "redis", "alembic")


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.strip().splitlines()[-1].split())


def test_importing_the_application_container_loads_no_web_agent_google_or_aws_stack() -> None:
    loaded = _modules_after("import entrypoints.container")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "dependency_injector" in loaded and "sqlalchemy" in loaded


def test_fastapi_still_imports_and_serves_after_the_container_was_loaded_without_it(tmp_path: Path) -> None:
    code = (
        "import entrypoints.container, sys\n"
        "assert 'fastapi' not in sys.modules\n"
        "from fastapi import FastAPI\n"
        "from fastapi.testclient import TestClient\n"
        "app = FastAPI()\n"
        "app.get('/ping')(lambda: {'ok': True})\n"
        "assert TestClient(app).get('/ping').json() == {'ok': True}\n"
    )
    assert "fastapi" in _modules_after(code)


# What a cheap command may not import (issue 13: <= 1 s): by module presence in a fresh interpreter, not by time.
NOT_FOR_CHEAP_COMMANDS = (
    *HEAVY,
    "dependency_injector",  # narrow builds: no container at all
    "jwt",  # tokens: identity's other use cases
    "cryptography",
    "langchain",
    "google",
    "botocore",
    "icalendar",
    "httpx",
    "structlog",  # imported at the first log record; these commands log nothing
)
# Other contexts' code: these modules and the packages' submodules
OTHER_CONTEXTS = (
    "entrypoints.container",
    *(
        f"entrypoints.containers.{name}"  # the containers; builders.py, which they share with the CLI, is fine
        for name in ("core", "identity", "admin", "mail", "scheduling", "agent", "calendar", "compose", "notifications")
    ),
    "entrypoints.cli.mail",
    "entrypoints.cli.calendar",
    "entrypoints.cli.webhooks",
    "entrypoints.cli.agent",
    "adapters.sqlalchemy.agent",
    "adapters.sqlalchemy.webhooks",
    "adapters.sqlalchemy.calendar_sync",
    "adapters.sqlalchemy.scheduled_emails",
    "adapters.sqlalchemy.mail_sync",
    "adapters.sqlalchemy.attachments",
    "adapters.sqlalchemy.slack",
    "domain.agent",
    "domain.calendar",
    "domain.webhooks",
    "application.use_cases.agent",
    "application.use_cases.calendar",
)
CHEAP_COMMANDS = {
    "audit verify": (["audit", "verify"], "intact"),
    "user create": (["user", "create", "--email", "ops@example.com", "--password", "Ops-password 123"], "created"),
    "db current": (["db", "current"], "current:"),
}


@pytest.mark.parametrize("data_dir", ["fresh", "migrated"])
@pytest.mark.parametrize("command", sorted(CHEAP_COMMANDS))
def test_a_cheap_cli_command_imports_only_what_it_uses(tmp_path: Path, command: str, data_dir: str) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    env.update({"MAILAGENT_DATA_DIR": str(tmp_path / "var"), "MAILAGENT_ARGON2_MEMORY_KIB": "1024"})
    env.update({"MAILAGENT_ARGON2_TIME_COST": "1", "MAILAGENT_ARGON2_PARALLELISM": "1"})
    if data_dir == "migrated":
        subprocess.run([sys.executable, "-m", "entrypoints.cli.main", "db", "upgrade"], cwd=REPO, env=env, check=True)
    args, expected = CHEAP_COMMANDS[command]
    code = (
        "from typer.testing import CliRunner\n"
        "from entrypoints.cli.main import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        f"assert {expected!r} in result.output, result.output\n"
        "import sys\n"
        f"other = [m for m in sys.modules for p in {OTHER_CONTEXTS!r} if m == p or m.startswith(p + '.')]\n"
        "assert not other, other\n"
    )
    loaded = _modules_after(code, env)
    assert loaded.isdisjoint(NOT_FOR_CHEAP_COMMANDS), sorted(loaded & set(NOT_FOR_CHEAP_COMMANDS))
    assert "sqlalchemy" in loaded and "typer" in loaded  # the probe ran the command for real


def test_every_context_provider_is_reachable_by_name_and_overrides_reach_every_context(tmp_path: Path) -> None:
    container = build_container(make_settings(tmp_path))
    for name in CONTEXTS:
        nested = getattr(container, name)
        for provider_name, provider in nested.providers.items():
            if not isinstance(provider, providers.Dependency):
                assert getattr(container, provider_name) is provider, f"{name}.{provider_name}"
    fake = SystemClock()
    container.clock.override(providers.Object(fake))
    assert container.identity.clock() is fake and container.mail.clock() is fake and container.agent.clock() is fake
    assert container.settings() is container.identity.settings() is container.mail.settings()


def test_each_application_container_has_its_own_singletons(tmp_path: Path) -> None:
    one, two = build_container(make_settings(tmp_path / "1")), build_container(make_settings(tmp_path / "2"))
    assert one.engine() is not two.engine()
    assert one.password_hasher() is one.identity.password_hasher()
    assert one.password_hasher() is not two.password_hasher()
    one.engine().dispose()
    two.engine().dispose()


def test_a_context_whose_dependency_nobody_provides_fails_at_composition() -> None:
    class Needy(containers.DeclarativeContainer):
        nowhere = providers.Dependency()

    with pytest.raises(TypeError, match="Needy needs nowhere"):
        context(Needy, Container.core)


def test_two_contexts_may_not_define_the_same_provider_name() -> None:
    names: dict[str, str] = {}
    for name in CONTEXTS:
        for provider_name, provider in getattr(Container, name).container.providers.items():
            if isinstance(provider, providers.Dependency):
                continue
            assert provider_name not in names, f"{provider_name} in {names.get(provider_name)} and {name}"
            names[provider_name] = name
