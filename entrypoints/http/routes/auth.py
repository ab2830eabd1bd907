"""Registration, verification, login, refresh, logout, password reset, the caller's profile and sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse

from application.session_tokens import AuthTokens
from application.use_cases.allow_sender_images import SenderImagesInput
from application.use_cases.change_password import ChangePasswordInput
from application.use_cases.list_sessions import ListSessionsInput
from application.use_cases.login import LoginInput
from application.use_cases.logout import LogoutInput
from application.use_cases.refresh_session import RefreshSessionInput
from application.use_cases.register_user import RegisterUserInput
from application.use_cases.request_password_reset import RequestPasswordResetInput
from application.use_cases.reset_password import ResetPasswordInput
from application.use_cases.revoke_session import RevokeSessionInput
from application.use_cases.update_profile import UpdateProfileInput
from application.use_cases.verify_email import VerifyEmailInput
from domain.errors import AuthenticationFailed, PermissionDenied
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep, limit_by_ip
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.errors import domain_error_response
from entrypoints.http.openapi_contract import errors
from entrypoints.http.schemas import (
    AccountOut,
    ImageSenderIn,
    LoginIn,
    MeOut,
    MessageOut,
    PasswordChangedOut,
    PasswordChangeIn,
    ProfilePatch,
    RefreshIn,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    SessionOut,
    TokenOut,
    UserOut,
    VerifyEmailIn,
)
from entrypoints.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
public = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(limit_by_ip)])

# Browser mode: the SPA keeps the access token in memory only and the refresh token lives in this cookie, out of
# reach of scripts. Its path keeps it off every request but the auth ones (the API is mounted under /api/v1).
REFRESH_COOKIE = "mailagent_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"
# SameSite=Strict already keeps the cookie off cross-site requests; a custom header is the second lock, since a
# cross-site form or a simple request cannot set one.
CSRF_HEADER = "X-Requested-With"
CSRF_HEADER_VALUE = "mailagent"
SIGNED_OUT = "You are signed out: sign in again."


def _cookie_secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_url.lower().startswith("https")


def _set_refresh_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=settings.refresh_token_ttl_seconds,
        path=REFRESH_COOKIE_PATH,
        secure=_cookie_secure(request, settings),
        httponly=True,
        samesite="strict",
    )


def _clear_refresh_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=_cookie_secure(request, settings),
        httponly=True,
        samesite="strict",
    )


def _tokens(result: AuthTokens) -> TokenOut:
    return TokenOut(
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        token_type=result.token_type,
        expires_in=result.expires_in,
        user=AccountOut.own(result.user),
    )


@public.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[UserOut],
    responses=errors(409, s409="An account with this address exists already"),
)
def register(body: RegisterIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[UserOut]:
    """Create an account. A verification link is sent to the address; sign-in works once it is opened."""
    user = container.register_user().execute(
        RegisterUserInput(email=str(body.email), password=body.password, context=ctx, display_name=body.display_name)
    )
    return ok(UserOut.of(user))


@public.post("/verify-email", response_model=Envelope[UserOut])
def verify_email(body: VerifyEmailIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[UserOut]:
    """Confirm the address with the token from the verification link."""
    user = container.verify_email().execute(
        VerifyEmailInput(token=body.token, email=str(body.email) if body.email else None, code=body.code, context=ctx)
    )
    return ok(UserOut.of(user))


@public.post(
    "/login",
    response_model=Envelope[TokenOut],
    responses=errors(
        401, 403, s401="Wrong e-mail or password", s403="The address is not verified yet, or the account is disabled"
    ),
)
def login(
    body: LoginIn, request: Request, response: Response, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[TokenOut]:
    """Exchange e-mail and password for an access token (about 15 minutes) and a refresh token. With
    `refresh_cookie: true` (browsers) the refresh token is set as an HttpOnly cookie and `refresh_token` is null."""
    tokens = _tokens(container.login().execute(LoginInput(str(body.email), body.password, ctx)))
    if body.refresh_cookie and tokens.refresh_token:
        _set_refresh_cookie(response, request, container.settings(), tokens.refresh_token)
        tokens = tokens.model_copy(update={"refresh_token": None})
    return ok(tokens)


@public.post(
    "/refresh",
    response_model=Envelope[TokenOut],
    responses=errors(
        401, 403, s401="The refresh token is used, expired or revoked", s403="The cookie without X-Requested-With"
    ),
)
def refresh(
    request: Request,
    response: Response,
    container: ContainerDep,
    ctx: AuditContextDep,
    body: RefreshIn | None = None,
) -> Envelope[TokenOut] | JSONResponse:
    """Rotate the refresh token: the old one stops working; presenting it again ends the session. Without
    `refresh_token` in the body, the mailagent_refresh cookie is used (with the header `X-Requested-With:
    mailagent`) and the new refresh token goes back into the cookie."""
    body = body or RefreshIn()
    email = str(body.email) if body.email else None
    if body.refresh_token:
        return ok(
            _tokens(container.refresh_session().execute(RefreshSessionInput(body.refresh_token, ctx, email=email)))
        )

    settings = container.settings()
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise AuthenticationFailed(SIGNED_OUT)
    if request.headers.get(CSRF_HEADER) != CSRF_HEADER_VALUE:
        raise PermissionDenied(
            f"Refreshing with the session cookie needs the header '{CSRF_HEADER}: {CSRF_HEADER_VALUE}'."
        )
    try:
        result = container.refresh_session().execute(RefreshSessionInput(cookie, ctx, email=email))
    except AuthenticationFailed as exc:
        # The cookie is dead (used, expired, revoked): drop it so the browser stops presenting it.
        failed = domain_error_response(exc)
        _clear_refresh_cookie(failed, request, settings)
        return failed
    tokens = _tokens(result)
    if tokens.refresh_token:
        _set_refresh_cookie(response, request, settings, tokens.refresh_token)
    return ok(tokens.model_copy(update={"refresh_token": None}))


@router.post("/logout", response_model=Envelope[MessageOut])
def logout(
    request: Request, response: Response, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[MessageOut]:
    """End the current session: its access and refresh tokens stop working at once (the cookie is cleared)."""
    container.logout().execute(
        LogoutInput(principal=principal, access_token=getattr(request.state, "credential", None), context=ctx)
    )
    _clear_refresh_cookie(response, request, container.settings())
    return ok(MessageOut(message="Signed out."))


@public.post("/reset-password", status_code=status.HTTP_202_ACCEPTED, response_model=Envelope[MessageOut])
def request_reset(body: ResetRequestIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[MessageOut]:
    """Send a single-use reset link if the account exists (the answer is the same either way)."""
    container.request_password_reset().execute(RequestPasswordResetInput(str(body.email), ctx))
    return ok(MessageOut(message="If an account exists for this address, a reset link is on its way."))


@public.post("/reset-password/confirm", response_model=Envelope[MessageOut])
def confirm_reset(body: ResetConfirmIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[MessageOut]:
    """Choose a new password with the token from the reset link. Every session is signed out."""
    container.reset_password().execute(ResetPasswordInput(body.token, body.new_password, ctx))
    return ok(MessageOut(message="Your password was changed. Sign in with the new one."))


@router.get("/me", response_model=Envelope[MeOut])
async def me(principal: PrincipalDep) -> Envelope[MeOut]:
    """Who the credential belongs to, what it may do, and their settings (undo window, image senders)."""
    return ok(MeOut.answer_for(principal))


@router.patch("/me", response_model=Envelope[MeOut])
def update_me(
    body: ProfilePatch, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[MeOut]:
    """Change your display name, undo-send window and conversation view (only the fields given change)."""
    given = body.model_fields_set
    user = container.update_profile().execute(
        UpdateProfileInput(
            principal,
            set_display_name="display_name" in given,
            display_name=body.display_name,
            undo_send_seconds=body.undo_send_seconds,
            conversation_view=body.conversation_view,
            context=ctx,
        )
    )
    return ok(MeOut.of_principal(principal, user))


@router.post(
    "/me/password",
    response_model=Envelope[PasswordChangedOut],
    dependencies=[Depends(limit_by_ip)],
    responses=errors(409, s409="The password is kept by an outside sign-in service"),
)
def change_password(
    body: PasswordChangeIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[PasswordChangedOut]:
    """Change your password: the current one is required (422 when it is wrong), the new one must meet the rules.
    Every other session is signed out; this one stays."""
    done = container.change_password().execute(
        ChangePasswordInput(principal, body.current_password, body.new_password, ctx)
    )
    others = done.other_sessions_signed_out
    signed_out = f" {others} other session{'s' if others != 1 else ''} signed out." if others else ""
    return ok(PasswordChangedOut(message=f"Your password was changed.{signed_out}", other_sessions_signed_out=others))


@router.post("/me/image-senders", response_model=Envelope[MeOut])
def allow_sender_images(body: ImageSenderIn, principal: PrincipalDep, container: ContainerDep) -> Envelope[MeOut]:
    """Always show remote images in mail from this sender (at most 500 senders)."""
    user = container.allow_sender_images().execute(SenderImagesInput(principal, str(body.address)))
    return ok(MeOut.of_principal(principal, user))


@router.delete("/me/image-senders/{address}", response_model=Envelope[MeOut])
def disallow_sender_images(
    address: Annotated[str, Path(max_length=320)], principal: PrincipalDep, container: ContainerDep
) -> Envelope[MeOut]:
    """Ask again before showing this sender's remote images (404 when they are not on your list)."""
    user = container.disallow_sender_images().execute(SenderImagesInput(principal, address))
    return ok(MeOut.of_principal(principal, user))


@router.get("/sessions", response_model=Envelope[list[SessionOut]])
def sessions(principal: PrincipalDep, container: ContainerDep) -> Envelope[list[SessionOut]]:
    """Your own sessions (devices), newest first."""
    found = container.list_sessions().execute(ListSessionsInput(principal))
    return ok([SessionOut.of(s, principal.session_id) for s in found])


@router.delete("/sessions/{session_id}", response_model=Envelope[MessageOut])
def revoke_session(
    session_id: Annotated[str, "session id"],
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
) -> Envelope[MessageOut]:
    """Sign out one of your sessions."""
    container.revoke_session().execute(RevokeSessionInput(principal, session_id, ctx))
    return ok(MessageOut(message="Session ended."))
