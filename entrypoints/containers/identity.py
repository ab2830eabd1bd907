"""Identity: accounts, passwords, sessions, tokens, API keys, and the system mail that verification and password
resets send."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.jwt.token_issuer import JwtTokenIssuer
from adapters.outbox_mailer.mailer import OutboxMailer
from adapters.smtp.mailer import SmtpMailer
from application.auth_policy import AuthPolicy
from application.use_cases.allow_sender_images import AllowSenderImages
from application.use_cases.authenticate import Authenticate
from application.use_cases.change_password import ChangePassword
from application.use_cases.create_api_key import CreateApiKey
from application.use_cases.create_user import CreateUser
from application.use_cases.disallow_sender_images import DisallowSenderImages
from application.use_cases.list_api_keys import ListApiKeys
from application.use_cases.list_sessions import ListSessions
from application.use_cases.login import Login
from application.use_cases.logout import Logout
from application.use_cases.refresh_session import RefreshSession
from application.use_cases.register_user import RegisterUser
from application.use_cases.request_password_reset import RequestPasswordReset
from application.use_cases.reset_password import ResetPassword
from application.use_cases.revoke_api_key import RevokeApiKey
from application.use_cases.revoke_session import RevokeSession
from application.use_cases.update_profile import UpdateProfile
from application.use_cases.verify_email import VerifyEmail
from entrypoints.containers import builders
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


def _system_mailer(settings: Settings) -> SmtpMailer | OutboxMailer:
    """SMTP, or the outbox folder only when chosen (the local profile's default): production never falls back to
    files silently (settings refuse to start without an SMTP host unless MAILAGENT_MAILER=outbox)."""
    if settings.resolved_mailer == "outbox" or not settings.smtp_host:
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


class IdentityContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    profile = providers.Dependency()
    uow = providers.Dependency()
    clock = providers.Dependency()
    rate_limiter = providers.Dependency()
    cache = providers.Dependency()

    policy = providers.Singleton(_auth_policy, settings)
    mailer = providers.Singleton(_system_mailer, settings)
    identity_provider = providers.Selector(
        providers.Callable(lambda s: s.identity_provider, settings),
        local=providers.Object(None),
        cognito=providers.Singleton(_cognito, settings),
    )
    password_hasher = providers.Singleton(builders.password_hasher, settings)
    token_issuer = providers.Singleton(JwtTokenIssuer, providers.Callable(jwt_secret_bytes, settings))

    # Use cases: a fresh instance (and unit of work) per call.
    register_user = providers.Factory(
        RegisterUser, uow, password_hasher, mailer, clock, policy, identity=identity_provider
    )
    verify_email = providers.Factory(VerifyEmail, uow, clock, identity=identity_provider)
    login = providers.Factory(
        Login, uow, password_hasher, token_issuer, rate_limiter, clock, policy, identity=identity_provider
    )
    refresh_session = providers.Factory(
        RefreshSession, uow, token_issuer, cache, clock, policy, identity=identity_provider
    )
    logout = providers.Factory(Logout, uow, cache, clock, identity=identity_provider)
    request_password_reset = providers.Factory(RequestPasswordReset, uow, mailer, rate_limiter, clock, policy)
    reset_password = providers.Factory(ResetPassword, uow, password_hasher, cache, clock)
    # One per container: it keeps the principals it made from snapshots (ADR 0031), and its unit of work is made only
    # when the store is asked (uow.provider), not for every snapshot hit. Made per request it cost ~10 µs (ADR 0030).
    authenticate = providers.Singleton(
        Authenticate, uow.provider, token_issuer, cache, clock, identity=identity_provider
    )
    create_api_key = providers.Factory(CreateApiKey, uow, clock)
    list_api_keys = providers.Factory(ListApiKeys, uow)
    revoke_api_key = providers.Factory(RevokeApiKey, uow, cache, clock)
    list_sessions = providers.Factory(ListSessions, uow)
    revoke_session = providers.Factory(RevokeSession, uow, cache, clock)
    create_user = providers.Factory(CreateUser, uow, password_hasher, clock)
    change_password = providers.Factory(ChangePassword, uow, password_hasher, cache, clock)
    update_profile = providers.Factory(UpdateProfile, uow, cache, clock)
    allow_sender_images = providers.Factory(AllowSenderImages, uow, cache)
    disallow_sender_images = providers.Factory(DisallowSenderImages, uow, cache)
