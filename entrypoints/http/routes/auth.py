"""Registration, verification, login, refresh, logout, password reset, the caller's profile and sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from application.session_tokens import AuthTokens
from application.use_cases.list_sessions import ListSessionsInput
from application.use_cases.login import LoginInput
from application.use_cases.logout import LogoutInput
from application.use_cases.refresh_session import RefreshSessionInput
from application.use_cases.register_user import RegisterUserInput
from application.use_cases.request_password_reset import RequestPasswordResetInput
from application.use_cases.reset_password import ResetPasswordInput
from application.use_cases.revoke_session import RevokeSessionInput
from application.use_cases.verify_email import VerifyEmailInput
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep, limit_by_ip
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.schemas import (
    LoginIn,
    MeOut,
    MessageOut,
    RefreshIn,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    SessionOut,
    TokenOut,
    UserOut,
    VerifyEmailIn,
)

router = APIRouter(prefix="/auth", tags=["auth"])
public = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(limit_by_ip)])


def _tokens(result: AuthTokens) -> TokenOut:
    return TokenOut(
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        token_type=result.token_type,
        expires_in=result.expires_in,
        user=UserOut.of(result.user),
    )


@public.post("/register", status_code=status.HTTP_201_CREATED, response_model=Envelope[UserOut])
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


@public.post("/login", response_model=Envelope[TokenOut])
def login(body: LoginIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[TokenOut]:
    """Exchange e-mail and password for an access token (about 15 minutes) and a refresh token."""
    return ok(_tokens(container.login().execute(LoginInput(str(body.email), body.password, ctx))))


@public.post("/refresh", response_model=Envelope[TokenOut])
def refresh(body: RefreshIn, container: ContainerDep, ctx: AuditContextDep) -> Envelope[TokenOut]:
    """Rotate the refresh token: the old one stops working; presenting it again ends the session."""
    result = container.refresh_session().execute(
        RefreshSessionInput(body.refresh_token, ctx, email=str(body.email) if body.email else None)
    )
    return ok(_tokens(result))


@router.post("/logout", response_model=Envelope[MessageOut])
def logout(
    request: Request, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[MessageOut]:
    """End the current session: its access and refresh tokens stop working at once."""
    container.logout().execute(
        LogoutInput(principal=principal, access_token=getattr(request.state, "credential", None), context=ctx)
    )
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
    """Who the credential belongs to and what it may do."""
    auth = "api_key" if principal.api_key_id else "session" if principal.session_id else "external"
    base = UserOut.of(principal.user).model_dump()
    return ok(MeOut(**base, scopes=sorted(s.value for s in principal.scopes), auth=auth))


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
