"""The agent: the toolbox (the action gate over the mail and scheduling use cases), the LangGraph agent and the
agent's use cases. LangGraph, LangChain and the chat model are imported when the agent is first built, so commands
and processes that never talk to the agent never load them."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from application.agent.effects.calendar import CalendarEffects
from application.agent.toolbox import AgentUseCases, UseCaseToolbox
from application.use_cases.agent.chat import Chat
from application.use_cases.agent.decide_pending_action import DecidePendingAction
from application.use_cases.agent.edit_pending_action import EditPendingAction
from application.use_cases.agent.get_conversation import GetConversation
from application.use_cases.agent.list_conversations import ListConversations
from application.use_cases.agent.list_pending_actions import ListPendingActions
from application.use_cases.agent.undo_agent_change import ListAgentChanges, UndoAgentChange
from entrypoints.settings import Settings


def _email_agent(*args: Any) -> Any:
    from entrypoints.llm_wiring import build_email_agent  # LangGraph + the chat model: only when the agent is used

    return build_email_agent(*args)


class AgentContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()
    rate_limiter = providers.Dependency()
    outbox_relay = providers.Dependency()
    secret_store = providers.Dependency()
    circuit_breakers = providers.Dependency()
    metrics = providers.Dependency()
    # the use cases the agent's tools call (mail and scheduling contexts)
    search_emails = providers.Dependency()
    search_all_mailboxes = providers.Dependency()
    get_email = providers.Dependency()
    get_thread = providers.Dependency()
    save_draft = providers.Dependency()
    modify_labels = providers.Dependency()
    schedule_email = providers.Dependency()
    cancel_scheduled_email = providers.Dependency()
    get_scheduled_email = providers.Dependency()
    outgoing_attachments = providers.Dependency()  # attachments context: uploads attached by id
    list_uploads = providers.Dependency()
    # held actions are resolved on the mailbox itself (drafts, originals, attachments' bytes, Sent history)
    mail_access = providers.Dependency()
    # the calendar context: read tools and the calendar changes held for approval
    calendar_access = providers.Dependency()
    list_events = providers.Dependency()
    find_free_time = providers.Dependency()
    search_contacts = providers.Dependency()
    contact_book = providers.Dependency()
    create_event = providers.Dependency()
    update_event = providers.Dependency()
    delete_event = providers.Dependency()
    respond_to_event = providers.Dependency()
    answer_mail_invitation = providers.Dependency()
    get_mail_invitation = providers.Dependency()

    calendar_effects = providers.Singleton(
        CalendarEffects,
        calendar_access.provider,
        mail_access.provider,
        create_event=create_event.provider,
        update_event=update_event.provider,
        delete_event=delete_event.provider,
        respond_to_event=respond_to_event.provider,
        answer_mail_invitation=answer_mail_invitation.provider,
        get_mail_invitation=get_mail_invitation.provider,
        contacts=contact_book.provider,
        organisation=providers.Callable(lambda s: tuple(s.organisation_domains), settings),
    )

    agent_use_cases = providers.Singleton(
        AgentUseCases,
        search_emails=search_emails.provider,
        search_all_mailboxes=search_all_mailboxes.provider,
        get_email=get_email.provider,
        get_thread=get_thread.provider,
        save_draft=save_draft.provider,
        modify_labels=modify_labels.provider,
        schedule_email=schedule_email.provider,
        cancel_scheduled_email=cancel_scheduled_email.provider,
        mail_access=mail_access.provider,
        get_scheduled_email=get_scheduled_email.provider,
        outgoing_attachments=outgoing_attachments.provider,
        list_uploads=list_uploads.provider,
        list_events=list_events.provider,
        find_free_time=find_free_time.provider,
        search_contacts=search_contacts.provider,
        calendar_effects=calendar_effects,
    )
    agent_toolbox = providers.Singleton(
        UseCaseToolbox,
        agent_use_cases,
        uow.provider,
        clock,
        rate_limiter,
        outbox_relay,
        sends_per_hour=settings.provided.agent_sends_per_hour,
        organisation=providers.Callable(lambda s: tuple(s.organisation_domains), settings),
        reversible_per_turn=settings.provided.agent_reversible_per_turn,
    )
    # The LangGraph agent; chat model from settings.llm_provider (offline by default), see entrypoints/llm_wiring.py
    email_agent = providers.Singleton(
        _email_agent, settings, secret_store, circuit_breakers, agent_toolbox, uow.provider, clock
    )
    agent_chat = providers.Factory(Chat, email_agent, uow.provider, clock, outbox_relay, metrics=metrics)
    list_agent_conversations = providers.Factory(ListConversations, uow.provider)
    get_agent_conversation = providers.Factory(GetConversation, email_agent, uow.provider, agent_toolbox)
    list_pending_actions = providers.Factory(ListPendingActions, uow.provider, agent_toolbox)
    decide_pending_action = providers.Factory(
        DecidePendingAction, uow.provider, agent_toolbox, email_agent, clock, outbox_relay
    )
    edit_pending_action = providers.Factory(EditPendingAction, uow.provider, agent_toolbox, clock, outbox_relay)
    list_agent_changes = providers.Factory(ListAgentChanges, uow.provider)
    undo_agent_change = providers.Factory(UndoAgentChange, uow.provider, agent_toolbox, clock, outbox_relay)
