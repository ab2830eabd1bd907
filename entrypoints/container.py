"""The one dependency-injector container: the only place where adapters are chosen, by settings profile."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.argon2.password_hasher import Argon2PasswordHasher
from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.rate_limiter import InMemoryRateLimiter
from adapters.jwt.token_issuer import JwtTokenIssuer
from adapters.nh3.html_sanitizer import Nh3HtmlSanitizer
from adapters.outbox_mailer.mailer import OutboxMailer
from adapters.pybreaker.circuit_breakers import PyBreakerCircuitBreakers
from adapters.smtp.mailer import SmtpMailer
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.system.clock import SystemClock
from application.agent.toolbox import AgentUseCases, UseCaseToolbox
from application.auth_policy import AuthPolicy
from application.caching_mailbox import MailCacheTtls
from application.mail_access import MailAccess
from application.outbox import OutboxRelay
from application.use_cases.agent.chat import Chat
from application.use_cases.agent.decide_pending_action import DecidePendingAction
from application.use_cases.agent.get_conversation import GetConversation
from application.use_cases.agent.list_conversations import ListConversations
from application.use_cases.agent.list_pending_actions import ListPendingActions
from application.use_cases.authenticate import Authenticate
from application.use_cases.create_api_key import CreateApiKey
from application.use_cases.create_user import CreateUser
from application.use_cases.get_system_metrics import GetSystemMetrics
from application.use_cases.list_api_keys import ListApiKeys
from application.use_cases.list_audit_logs import ListAuditLogs
from application.use_cases.list_failed_jobs import ListFailedJobs
from application.use_cases.list_sessions import ListSessions
from application.use_cases.list_users import ListUsers
from application.use_cases.login import Login
from application.use_cases.logout import Logout
from application.use_cases.mail.complete_google_connect import CompleteGoogleConnect
from application.use_cases.mail.connect_demo_account import ConnectDemoAccount
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
from application.use_cases.mail.search_emails import SearchEmails
from application.use_cases.mail.send_draft import SendDraft
from application.use_cases.mail.send_email import SendEmail
from application.use_cases.mail.start_google_connect import StartGoogleConnect
from application.use_cases.mail.suggest_recipients import SuggestRecipients
from application.use_cases.mail.sync_mailbox import SyncMailbox
from application.use_cases.read_events import PruneEvents, ReadEvents
from application.use_cases.refresh_session import RefreshSession
from application.use_cases.register_user import RegisterUser
from application.use_cases.request_password_reset import RequestPasswordReset
from application.use_cases.requeue_failed_job import RequeueFailedJob
from application.use_cases.reset_password import ResetPassword
from application.use_cases.revoke_api_key import RevokeApiKey
from application.use_cases.revoke_session import RevokeSession
from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmail
from application.use_cases.scheduled.common import DeliveryPolicy
from application.use_cases.scheduled.dispatch_due_scheduled_emails import DispatchDueScheduledEmails
from application.use_cases.scheduled.get_scheduled_email import GetScheduledEmail
from application.use_cases.scheduled.list_scheduled_emails import ListScheduledEmails
from application.use_cases.scheduled.reschedule_scheduled_email import RescheduleScheduledEmail
from application.use_cases.scheduled.schedule_email import ScheduleEmail
from application.use_cases.scheduled.send_scheduled_email import SendScheduledEmail
from application.use_cases.update_user import UpdateUser
from application.use_cases.verify_audit_chain import VerifyAuditChain
from application.use_cases.verify_email import VerifyEmail
from domain.errors import NotConfigured
from entrypoints.llm_wiring import build_email_agent
from entrypoints.mailboxes import InstallationMailboxes
from entrypoints.settings import Settings, jwt_secret_bytes


def _auth_policy(settings: Settings) -> AuthPolicy:
    return AuthPolicy(
        access_token_ttl_seconds=settings.access_token_ttl_seconds,
        refresh_token_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        login_failures_per_account=settings.login_failures_per_account,
        login_failures_per_ip=settings.login_failures_per_ip,
        login_failure_window_seconds=settings.login_failure_window_seconds,
        public_url=settings.public_url,
        require_verified_email=settings.require_verified_email,
    )


def _smtp_mailer(settings: Settings) -> SmtpMailer | OutboxMailer:
    if not settings.smtp_host:
        return OutboxMailer(settings.outbox_dir, sender=settings.mail_from)
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        security=settings.smtp_security,
    )


def _cognito(settings: Settings) -> Any:
    from adapters.cognito.identity_provider import build_cognito_identity_provider

    return build_cognito_identity_provider(
        region=settings.cognito_region,
        user_pool_id=settings.cognito_user_pool_id or "",
        client_id=settings.cognito_client_id or "",
        endpoint_url=settings.cognito_endpoint_url,
        jwks_url=settings.cognito_jwks_url,
        issuer=settings.cognito_issuer,
    )


def _redis_client(settings: Settings) -> Any:
    import redis  # production only: the embedded default never pays for importing it

    return redis.Redis.from_url(
        settings.resolved_redis_url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    )


def _redis_rate_limiter(client: Any, clock: Any) -> Any:
    from adapters.redis.rate_limiter import RedisRateLimiter

    return RedisRateLimiter(client, clock)


def _redis_cache(client: Any) -> Any:
    from adapters.redis.cache import RedisCache

    return RedisCache(client)


def _redis_event_bus(client: Any, settings: Settings) -> Any:
    from adapters.redis.event_bus import RedisEventBus

    return RedisEventBus(client, channel=settings.event_channel)


def _rq_job_queue(settings: Settings, registry: Any) -> Any:
    import redis

    from adapters.rq.job_queue import RqJobQueue

    # RQ needs a client that returns bytes; the shared client is configured the same way, but keep it apart so
    # RQ's blocking calls never hold up the cache and the rate limiter.
    return RqJobQueue(
        redis.Redis.from_url(settings.resolved_redis_url), queue_name=settings.job_queue_name, registry=registry
    )


def _job_registry(container: Any) -> Any:
    from entrypoints.worker.jobs import build_registry

    return build_registry(container)


def _ticker(container: Any) -> Any:
    from entrypoints.worker.jobs import periodic_jobs
    from entrypoints.worker.periodic import Ticker

    # Namespaced by queue name: RQ job ids are global to a Redis database (see Ticker).
    namespace = container.settings().job_queue_name
    return Ticker(container.job_queue(), container.clock(), periodic_jobs(container), namespace=namespace)


def _secret_store(settings: Settings) -> Any:
    if settings.secrets_backend == "secretsmanager":
        from adapters.secrets_manager.secret_store import build_secrets_manager_secret_store

        return build_secrets_manager_secret_store(
            region=settings.aws_region, prefix=settings.secrets_manager_prefix, endpoint_url=settings.aws_endpoint_url
        )
    import base64

    from adapters.local_secrets.secret_store import LocalSecretStore, load_or_create_key

    key = (
        base64.b64decode(settings.secrets_key.get_secret_value())
        if settings.secrets_key
        else load_or_create_key(settings.keys_dir / "secrets.key")
    )
    return LocalSecretStore(settings.data_dir / "secrets", key)


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
    settings: Settings, clock: Any, secret_store: Any, oauth: Any, breakers: Any = None, cache: Any = None
) -> InstallationMailboxes:
    gmail = None
    if oauth is not None:  # googleapiclient is heavy to import: only when Gmail is configured
        from entrypoints.gmail_wiring import gmail_factory

        gmail = gmail_factory(settings, secret_store, oauth)
    return InstallationMailboxes(
        clock=clock,
        demo_path=settings.data_dir / "demo-mailbox.db" if settings.demo_enabled else None,
        gmail_factory=gmail,
        demo_size=settings.demo_mailbox_size,
        breakers=breakers,
        cache=cache,
        cache_ttls=MailCacheTtls(
            message_seconds=settings.cache_message_seconds, labels_seconds=settings.cache_labels_seconds
        ),
    )


def _circuit_breakers(settings: Settings, clock: Any) -> PyBreakerCircuitBreakers:
    return PyBreakerCircuitBreakers(
        clock, fail_max=settings.circuit_fail_max, reset_timeout_seconds=settings.circuit_reset_seconds
    )


def _delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        lease_seconds=settings.scheduled_lease_seconds,
        max_attempts=settings.scheduled_max_attempts,
        retry_base_seconds=settings.scheduled_retry_seconds,
        retry_max_seconds=max(settings.scheduled_retry_seconds, 900.0),
        dispatch_grace_seconds=3 * settings.scheduled_dispatch_seconds,
    )


class Container(containers.DeclarativeContainer):
    __self__ = providers.Self()
    settings = providers.Singleton(Settings)
    profile = providers.Callable(lambda s: s.profile, settings)

    clock = providers.Singleton(SystemClock)
    policy = providers.Singleton(_auth_policy, settings)

    # Persistence: SQLite in the local profile, PostgreSQL (pooled) in production: same adapter, other URL.
    engine = providers.Singleton(
        make_engine,
        url=providers.Callable(lambda s: s.resolved_database_url, settings),
        pool_size=providers.Callable(lambda s: s.db_pool_size, settings),
        max_overflow=providers.Callable(lambda s: s.db_max_overflow, settings),
    )
    session_factory = providers.Singleton(make_session_factory, engine)
    uow = providers.Factory(SqlAlchemyUnitOfWork, session_factory)

    redis_client = providers.Singleton(_redis_client, settings)
    rate_limiter = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryRateLimiter, clock),
        production=providers.Singleton(_redis_rate_limiter, redis_client, clock),
    )
    cache = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryCache, clock),
        production=providers.Singleton(_redis_cache, redis_client),
    )
    mailer = providers.Selector(
        profile,
        local=providers.Singleton(
            OutboxMailer,
            providers.Callable(lambda s: s.outbox_dir, settings),
            sender=settings.provided.mail_from,
        ),
        production=providers.Singleton(_smtp_mailer, settings),
    )
    # Background work: in-process threads in the embedded default, Redis + RQ workers in production.
    job_registry = providers.Singleton(_job_registry, __self__)
    job_queue = providers.Selector(
        profile,
        local=providers.Singleton(InProcessJobQueue, job_registry, clock, workers=settings.provided.job_workers),
        production=providers.Singleton(_rq_job_queue, settings, job_registry),
    )
    event_bus = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryEventBus),
        production=providers.Singleton(_redis_event_bus, redis_client, settings),
    )
    outbox_relay = providers.Singleton(OutboxRelay, uow.provider, job_queue, event_bus, clock)
    read_events = providers.Factory(ReadEvents, uow)
    prune_events = providers.Factory(PruneEvents, uow, clock, settings.provided.event_retention_seconds)
    # One circuit per outside service ("gmail", later "slack", "webhooks", "llm"), per process.
    circuit_breakers = providers.Singleton(_circuit_breakers, settings, clock)
    ticker = providers.Singleton(_ticker, __self__)

    identity = providers.Selector(
        providers.Callable(lambda s: s.identity_provider, settings),
        local=providers.Object(None),
        cognito=providers.Singleton(_cognito, settings),
    )

    password_hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost_kib=settings.provided.argon2_memory_kib,
        parallelism=settings.provided.argon2_parallelism,
    )
    token_issuer = providers.Singleton(JwtTokenIssuer, providers.Callable(jwt_secret_bytes, settings))

    # Use cases: a fresh instance (and unit of work) per call.
    register_user = providers.Factory(RegisterUser, uow, password_hasher, mailer, clock, policy, identity=identity)
    verify_email = providers.Factory(VerifyEmail, uow, clock, identity=identity)
    login = providers.Factory(Login, uow, password_hasher, token_issuer, rate_limiter, clock, policy, identity=identity)
    refresh_session = providers.Factory(RefreshSession, uow, token_issuer, cache, clock, policy, identity=identity)
    logout = providers.Factory(Logout, uow, cache, clock, identity=identity)
    request_password_reset = providers.Factory(RequestPasswordReset, uow, mailer, rate_limiter, clock, policy)
    reset_password = providers.Factory(ResetPassword, uow, password_hasher, cache, clock)
    authenticate = providers.Factory(Authenticate, uow, token_issuer, cache, clock, identity=identity)
    create_api_key = providers.Factory(CreateApiKey, uow, clock)
    list_api_keys = providers.Factory(ListApiKeys, uow)
    revoke_api_key = providers.Factory(RevokeApiKey, uow, cache, clock)
    list_sessions = providers.Factory(ListSessions, uow)
    revoke_session = providers.Factory(RevokeSession, uow, cache, clock)
    list_users = providers.Factory(ListUsers, uow)
    update_user = providers.Factory(UpdateUser, uow, cache, clock)
    list_audit_logs = providers.Factory(ListAuditLogs, uow)
    verify_audit_chain = providers.Factory(VerifyAuditChain, uow)
    create_user = providers.Factory(CreateUser, uow, password_hasher, clock)
    list_failed_jobs = providers.Factory(ListFailedJobs, job_queue)
    requeue_failed_job = providers.Factory(RequeueFailedJob, job_queue, uow, clock)

    # Mail
    secret_store = providers.Singleton(_secret_store, settings)
    oauth_client = providers.Singleton(_oauth_client, settings)
    html_sanitizer = providers.Singleton(Nh3HtmlSanitizer)
    mailboxes = providers.Singleton(_mailboxes, settings, clock, secret_store, oauth_client, circuit_breakers, cache)
    mail_access = providers.Factory(MailAccess, uow, mailboxes, clock, relay=outbox_relay)

    connect_demo_account = providers.Factory(ConnectDemoAccount, uow, mailboxes, clock)
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
    suggest_recipients = providers.Factory(SuggestRecipients, mail_access, cache)
    get_email = providers.Factory(GetEmail, mail_access, html_sanitizer)
    get_thread = providers.Factory(GetThread, mail_access, html_sanitizer)
    get_attachment = providers.Factory(GetAttachment, mail_access)
    send_email = providers.Factory(SendEmail, mail_access, html_sanitizer)
    reply_to_email = providers.Factory(ReplyToEmail, mail_access, html_sanitizer)
    forward_email = providers.Factory(ForwardEmail, mail_access, html_sanitizer)
    save_draft = providers.Factory(SaveDraft, mail_access, html_sanitizer)
    get_draft = providers.Factory(GetDraft, mail_access)
    list_drafts = providers.Factory(ListDrafts, mail_access)
    delete_draft = providers.Factory(DeleteDraft, mail_access)
    send_draft = providers.Factory(SendDraft, mail_access)
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

    # Scheduled sends
    delivery_policy = providers.Singleton(_delivery_policy, settings)
    schedule_email = providers.Factory(
        ScheduleEmail, uow, mail_access, html_sanitizer, clock, outbox_relay, delivery_policy
    )
    list_scheduled_emails = providers.Factory(ListScheduledEmails, uow)
    get_scheduled_email = providers.Factory(GetScheduledEmail, uow)
    cancel_scheduled_email = providers.Factory(CancelScheduledEmail, uow, clock)
    reschedule_scheduled_email = providers.Factory(RescheduleScheduledEmail, uow, clock, outbox_relay, delivery_policy)
    dispatch_due_scheduled_emails = providers.Factory(
        DispatchDueScheduledEmails, uow, clock, outbox_relay, delivery_policy
    )
    send_scheduled_email = providers.Factory(SendScheduledEmail, uow, mailboxes, clock, outbox_relay, delivery_policy)

    # Agent: the toolbox (the action gate over the use cases above) and the agent's use cases
    agent_use_cases = providers.Singleton(
        AgentUseCases,
        search_emails=search_emails.provider,
        get_email=get_email.provider,
        get_thread=get_thread.provider,
        save_draft=save_draft.provider,
        send_email=send_email.provider,
        send_draft=send_draft.provider,
        reply_to_email=reply_to_email.provider,
        forward_email=forward_email.provider,
        modify_labels=modify_labels.provider,
        schedule_email=schedule_email.provider,
        cancel_scheduled_email=cancel_scheduled_email.provider,
        get_draft=get_draft.provider,
    )
    agent_toolbox = providers.Singleton(
        UseCaseToolbox,
        agent_use_cases,
        uow.provider,
        clock,
        rate_limiter,
        outbox_relay,
        sends_per_hour=settings.provided.agent_sends_per_hour,
    )
    # The LangGraph agent; chat model from settings.llm_provider (offline by default), see entrypoints/llm_wiring.py
    email_agent = providers.Singleton(
        build_email_agent, settings, secret_store, circuit_breakers, agent_toolbox, uow.provider, clock
    )
    agent_chat = providers.Factory(Chat, email_agent, uow.provider, clock, outbox_relay)
    list_agent_conversations = providers.Factory(ListConversations, uow.provider)
    get_agent_conversation = providers.Factory(GetConversation, email_agent, uow.provider)
    list_pending_actions = providers.Factory(ListPendingActions, uow.provider)
    decide_pending_action = providers.Factory(
        DecidePendingAction, uow.provider, agent_toolbox, email_agent, clock, outbox_relay
    )

    get_system_metrics = providers.Factory(
        GetSystemMetrics,
        circuit_breakers,
        cache,
        job_queue,
        providers.Callable(lambda mailboxes: mailboxes.cache_stats, mailboxes),
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container
