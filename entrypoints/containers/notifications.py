"""Notifications: outgoing webhooks (endpoints, signed deliveries with retries, replays) and Slack (alerts per the
user's rules, daily summaries through the Summarizer: the offline extractive one). Senders are built on first use."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from application.use_cases.notifications.deliver_webhooks import DeliverWebhook, DeliveryPolicy, SweepWebhookDeliveries
from application.use_cases.notifications.manage_webhooks import (
    CreateWebhook,
    DeleteWebhook,
    GetWebhook,
    ListWebhooks,
    RotateWebhookSecret,
    UpdateWebhook,
    WebhookRules,
)
from application.use_cases.notifications.slack import (
    BuildSlackSummary,
    ConfigureSlack,
    DisconnectSlack,
    GetSlack,
    NotifySlack,
    PreviewSlackSummary,
    SendDueSlackSummaries,
    SendSlackTest,
    SlackRules,
)
from application.use_cases.notifications.webhook_deliveries import (
    ListDeliveries,
    ReplayDelivery,
    ReplayFailedSince,
    TestWebhook,
)
from entrypoints.containers.identity import _system_mailer
from entrypoints.settings import Settings


def _webhook_sender(settings: Settings) -> Any:
    from adapters.webhooks.sender import HttpxWebhookSender

    return HttpxWebhookSender(
        allow_loopback=settings.webhooks_to_loopback, timeout_seconds=settings.webhook_timeout_seconds
    )


def _notifier(settings: Settings) -> Any:
    from adapters.slack.notifier import SlackNotifier

    return SlackNotifier(api_url=settings.slack_api_url)


def _summarizer() -> Any:
    from adapters.summarizer.extractive import ExtractiveSummarizer

    return ExtractiveSummarizer()


def _slack_rules(settings: Settings) -> SlackRules:
    return SlackRules(allow_loopback=settings.webhooks_to_loopback, app_url=settings.public_url)


def _delivery_policy(settings: Settings) -> DeliveryPolicy:
    lease = max(settings.webhook_lease_seconds, settings.webhook_timeout_seconds + 1)
    return DeliveryPolicy(lease_seconds=lease, sweep_grace_seconds=lease)


def _webhook_rules(settings: Settings) -> WebhookRules:
    return WebhookRules(allow_http_loopback=settings.webhooks_to_loopback)


class NotificationsContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()
    outbox_relay = providers.Dependency()
    job_queue = providers.Dependency()
    secret_store = providers.Dependency()
    metrics = providers.Dependency()

    webhook_rules = providers.Singleton(_webhook_rules, settings)
    webhook_policy = providers.Singleton(_delivery_policy, settings)
    webhook_sender = providers.Singleton(_webhook_sender, settings)
    owner_mailer = providers.Singleton(_system_mailer, settings)  # the verification/reset mailer: tells of disables

    create_webhook = providers.Factory(CreateWebhook, uow, secret_store, clock, webhook_rules)
    list_webhooks = providers.Factory(ListWebhooks, uow)
    get_webhook = providers.Factory(GetWebhook, uow)
    update_webhook = providers.Factory(UpdateWebhook, uow, clock, webhook_rules)
    delete_webhook = providers.Factory(DeleteWebhook, uow, secret_store, clock)
    rotate_webhook_secret = providers.Factory(RotateWebhookSecret, uow, secret_store, clock)
    deliver_webhook = providers.Factory(
        DeliverWebhook,
        uow.provider,
        webhook_sender,
        secret_store,
        clock,
        outbox_relay,
        webhook_policy,
        metrics=metrics,
        mailer=owner_mailer,
        app_url=providers.Callable(lambda s: s.public_url, settings),
    )
    sweep_webhook_deliveries = providers.Factory(SweepWebhookDeliveries, uow.provider, clock, job_queue, webhook_policy)
    list_webhook_deliveries = providers.Factory(ListDeliveries, uow)
    replay_webhook_delivery = providers.Factory(ReplayDelivery, uow.provider, clock, outbox_relay)
    replay_failed_webhooks = providers.Factory(ReplayFailedSince, uow.provider, clock, outbox_relay)
    test_webhook = providers.Factory(TestWebhook, uow.provider, clock, deliver_webhook)

    notifier = providers.Singleton(_notifier, settings)
    summarizer = providers.Singleton(_summarizer)
    slack_rules = providers.Singleton(_slack_rules, settings)
    configure_slack = providers.Factory(ConfigureSlack, uow, secret_store, clock, slack_rules)
    get_slack = providers.Factory(GetSlack, uow)
    disconnect_slack = providers.Factory(DisconnectSlack, uow, secret_store)
    send_slack_test = providers.Factory(SendSlackTest, uow, secret_store, notifier, slack_rules)
    notify_slack = providers.Factory(NotifySlack, uow.provider, secret_store, notifier, clock, slack_rules)
    build_slack_summary = providers.Factory(BuildSlackSummary, uow.provider, summarizer, notifier, clock, slack_rules)
    preview_slack_summary = providers.Factory(PreviewSlackSummary, uow, build_slack_summary)
    send_due_slack_summaries = providers.Factory(
        SendDueSlackSummaries, uow.provider, secret_store, notifier, clock, build_slack_summary
    )
