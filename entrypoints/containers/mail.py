"""Mail: connected mailboxes (demo, Gmail), search, read, compose, drafts, labels, and mailbox sync (push, polling,
watch renewal). The Google stack is imported only when Gmail is configured."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.nh3.html_sanitizer import Nh3HtmlSanitizer
from application.caching_mailbox import MailCacheTtls
from application.mail_access import MailAccess
from application.use_cases.mail.complete_google_connect import CompleteGoogleConnect
from application.use_cases.mail.connect_demo_account import ConnectDemoAccount
from application.use_cases.mail.connect_imap_account import ConnectImapAccount
from application.use_cases.mail.create_label import CreateLabel
from application.use_cases.mail.delete_draft import DeleteDraft
from application.use_cases.mail.disconnect_mail_account import DisconnectMailAccount
from application.use_cases.mail.forward_email import ForwardEmail
from application.use_cases.mail.get_attachment import GetAttachment
from application.use_cases.mail.get_draft import GetDraft
from application.use_cases.mail.get_email import GetEmail
from application.use_cases.mail.get_thread import GetThread
from application.use_cases.mail.handle_google_push import HandleGooglePush
from application.use_cases.mail.list_drafts import ListDrafts
from application.use_cases.mail.list_labels import ListLabels
from application.use_cases.mail.list_mail_accounts import ListMailAccounts
from application.use_cases.mail.modify_labels import ModifyLabels
from application.use_cases.mail.poll_mailboxes import PollMailboxes
from application.use_cases.mail.renew_watches import RenewWatches
from application.use_cases.mail.reply_to_email import ReplyToEmail
from application.use_cases.mail.save_draft import SaveDraft
from application.use_cases.mail.search_all_mailboxes import SearchAllMailboxes
from application.use_cases.mail.search_conversations import SearchConversations
from application.use_cases.mail.search_emails import SearchEmails
from application.use_cases.mail.send_draft import SendDraft
from application.use_cases.mail.send_email import SendEmail
from application.use_cases.mail.start_google_connect import StartGoogleConnect
from application.use_cases.mail.sync_mailbox import SyncMailbox
from domain.errors import NotConfigured
from entrypoints.mailboxes import InstallationMailboxes
from entrypoints.settings import Settings


def _oauth_client(settings: Settings) -> Any:
    if not settings.google_client_id or not settings.google_client_secret:
        return None
    from adapters.google_oauth.client import GoogleOAuthClient, GoogleOAuthConfig

    return GoogleOAuthClient(
        GoogleOAuthConfig(
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret.get_secret_value(),
            redirect_uri=settings.resolved_google_redirect_uri,
            auth_uri=settings.google_auth_uri,
            token_uri=settings.google_token_uri,
            revoke_uri=settings.google_revoke_uri,
            gmail_root=settings.gmail_api_root,
        )
    )


def _required_oauth(oauth: Any) -> Any:
    if oauth is None:
        raise NotConfigured(
            "Gmail is not configured on this installation: set MAILAGENT_GOOGLE_CLIENT_ID and "
            "MAILAGENT_GOOGLE_CLIENT_SECRET (or use the demo mailbox)."
        )
    return oauth


def _mailboxes(
    settings: Settings,
    clock: Any,
    secret_store: Any,
    oauth: Any,
    breakers: Any = None,
    cache: Any = None,
    metrics: Any = None,
) -> InstallationMailboxes:
    gmail = None
    if oauth is not None:  # googleapiclient is heavy to import: only when Gmail is configured
        from application.ports.metrics import NO_METRICS
        from entrypoints.gmail_wiring import gmail_factory

        gmail = gmail_factory(settings, secret_store, oauth, metrics=metrics or NO_METRICS)
    from entrypoints.imap_wiring import imap_factory

    return InstallationMailboxes(
        clock=clock,
        demo_path=settings.data_dir / "demo-mailbox.db" if settings.demo_enabled else None,
        gmail_factory=gmail,
        imap_factory=imap_factory(secret_store, settings.data_dir / "imap", clock),
        demo_size=settings.demo_mailbox_size,
        breakers=breakers,
        cache=cache,
        cache_ttls=MailCacheTtls(
            message_seconds=settings.cache_message_seconds, labels_seconds=settings.cache_labels_seconds
        ),
    )


def _mail_server_check() -> Any:
    from adapters.imap_smtp.check import ImapSmtpServerCheck

    return ImapSmtpServerCheck()


class MailContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()
    cache = providers.Dependency()
    job_queue = providers.Dependency()
    outbox_relay = providers.Dependency()
    circuit_breakers = providers.Dependency()
    secret_store = providers.Dependency()
    metrics = providers.Dependency()
    outgoing_attachments = providers.Dependency()  # attachments context: uploads by id, scanning what leaves
    malware_scanner = providers.Dependency()

    oauth_client = providers.Singleton(_oauth_client, settings)
    html_sanitizer = providers.Singleton(Nh3HtmlSanitizer)
    mailboxes = providers.Singleton(
        _mailboxes, settings, clock, secret_store, oauth_client, circuit_breakers, cache, metrics
    )
    mail_access = providers.Factory(MailAccess, uow, mailboxes, clock, relay=outbox_relay)

    connect_demo_account = providers.Factory(ConnectDemoAccount, uow, mailboxes, clock)
    mail_server_check = providers.Singleton(_mail_server_check)
    connect_imap_account = providers.Factory(ConnectImapAccount, uow, mailboxes, secret_store, mail_server_check, clock)
    start_google_connect = providers.Factory(
        StartGoogleConnect, uow, providers.Callable(_required_oauth, oauth_client), clock
    )
    complete_google_connect = providers.Factory(
        CompleteGoogleConnect,
        uow,
        providers.Callable(_required_oauth, oauth_client),
        secret_store,
        clock,
        relay=outbox_relay,
    )
    list_mail_accounts = providers.Factory(ListMailAccounts, uow)
    disconnect_mail_account = providers.Factory(DisconnectMailAccount, uow, oauth_client, secret_store, clock)
    search_emails = providers.Factory(SearchEmails, mail_access)
    search_conversations = providers.Factory(SearchConversations, mail_access)
    search_all_mailboxes = providers.Factory(SearchAllMailboxes, mail_access)
    get_email = providers.Factory(GetEmail, mail_access, html_sanitizer)
    get_thread = providers.Factory(GetThread, mail_access, html_sanitizer)
    get_attachment = providers.Factory(GetAttachment, mail_access, malware_scanner)
    send_email = providers.Factory(SendEmail, mail_access, html_sanitizer, outgoing_attachments)
    reply_to_email = providers.Factory(ReplyToEmail, mail_access, html_sanitizer, outgoing_attachments)
    forward_email = providers.Factory(ForwardEmail, mail_access, html_sanitizer, outgoing_attachments)
    save_draft = providers.Factory(SaveDraft, mail_access, html_sanitizer, outgoing_attachments)
    get_draft = providers.Factory(GetDraft, mail_access)
    list_drafts = providers.Factory(ListDrafts, mail_access)
    delete_draft = providers.Factory(DeleteDraft, mail_access, outgoing_attachments)
    send_draft = providers.Factory(SendDraft, mail_access, outgoing_attachments)
    list_labels = providers.Factory(ListLabels, mail_access, cache)
    create_label = providers.Factory(CreateLabel, mail_access)
    modify_labels = providers.Factory(ModifyLabels, mail_access)

    # Mailbox sync: change feed -> events; push, polling and watch renewal
    sync_mailbox = providers.Factory(SyncMailbox, uow, mailboxes, clock, relay=outbox_relay, cache=cache)
    handle_google_push = providers.Factory(HandleGooglePush, uow, job_queue)
    poll_mailboxes = providers.Factory(PollMailboxes, uow, job_queue, cache, clock, settings.provided.mail_poll_seconds)
    renew_watches = providers.Factory(
        RenewWatches, uow, mailboxes, clock, settings.provided.google_push_topic, relay=outbox_relay
    )
