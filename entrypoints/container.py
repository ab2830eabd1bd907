"""The application container: every context container composed in one place (entrypoints/containers/).

Each context declares the shared providers it needs and gets them here, by name, from the contexts composed before
it (core first). Every provider of every context is also reachable by its own name on the application container
(`container.login`, `container.uow`, `container.email_agent`): that is the one surface routes, jobs, the CLI and
tests use, and overriding it (`container.clock.override(...)`) overrides it for every context. Commands that need
one or two contexts build only those (entrypoints/cli/context.py)."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from entrypoints.containers.admin import AdminContainer
from entrypoints.containers.agent import AgentContainer
from entrypoints.containers.attachments import AttachmentsContainer
from entrypoints.containers.calendar import CalendarContainer
from entrypoints.containers.compose import context
from entrypoints.containers.core import CoreContainer
from entrypoints.containers.identity import IdentityContainer
from entrypoints.containers.mail import MailContainer
from entrypoints.containers.notifications import NotificationsContainer
from entrypoints.containers.scheduling import SchedulingContainer
from entrypoints.settings import Settings


def _job_registry(container: Any) -> Any:
    from entrypoints.worker.jobs import build_registry

    return build_registry(container)


def _ticker(container: Any) -> Any:
    from entrypoints.worker.jobs import periodic_jobs
    from entrypoints.worker.periodic import Ticker

    # Namespaced by queue name: RQ job ids are global to a Redis database (see Ticker).
    namespace = container.settings().job_queue_name
    return Ticker(
        container.job_queue(),
        container.clock(),
        periodic_jobs(container),
        namespace=namespace,
        outages=container.outages(),
    )


class Container(containers.DeclarativeContainer):
    __self__ = providers.Self()
    # Every job of every context, by name (entrypoints/worker/jobs.py), and the periodic ticker that enqueues some.
    job_registry = providers.Singleton(_job_registry, __self__)
    ticker = providers.Singleton(_ticker, __self__)

    core = providers.Container(CoreContainer, job_registry=job_registry)
    identity = context(IdentityContainer, core)
    attachments = context(AttachmentsContainer, core)
    mail = context(MailContainer, core, attachments)
    scheduling = context(SchedulingContainer, core, mail, attachments)
    calendar = context(CalendarContainer, core, mail)
    agent = context(AgentContainer, core, mail, scheduling, attachments, calendar)
    admin = context(AdminContainer, core, mail)
    notifications = context(NotificationsContainer, core)


CONTEXTS = ("core", "identity", "attachments", "mail", "scheduling", "calendar", "agent", "admin", "notifications")


def _expose_context_providers() -> None:
    """`container.<name>` for every provider a context defines (not the ones it only declares as dependencies)."""
    for context_name in CONTEXTS:
        nested: Any = getattr(Container, context_name)
        for name, provider in nested.container.providers.items():
            if isinstance(provider, providers.Dependency):
                continue
            if name in Container.providers:
                raise TypeError(f"{context_name}.{name}: another context already defines a provider named {name!r}")
            setattr(Container, name, getattr(nested, name))


_expose_context_providers()


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container
