"""Administration: users (role, disable), the audit log, failed background jobs and runtime metrics.
Administrators only."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Path, Query

from application.use_cases.get_system_metrics import GetSystemMetricsInput
from application.use_cases.list_audit_logs import ListAuditLogsInput
from application.use_cases.list_failed_jobs import ListFailedJobsInput
from application.use_cases.list_users import ListUsersInput
from application.use_cases.requeue_failed_job import RequeueFailedJobInput
from application.use_cases.update_user import UpdateUserInput
from entrypoints.http.admin_schemas import FailedJobOut, MetricsOut, RequeuedOut
from entrypoints.http.constraints import MAX_OFFSET, IsoDateTime
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors
from entrypoints.http.schemas import AdminUserPatch, AuditEventOut, UserOut

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", response_model=Envelope[list[UserOut]])
def users(
    principal: PrincipalDep,
    container: ContainerDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[UserOut]]:
    found, total = container.list_users().execute(ListUsersInput(principal, offset, limit))
    return ok([UserOut.of(u) for u in found], total=total, offset=offset, limit=limit)


@router.patch(
    "/users/{user_id}",
    response_model=Envelope[UserOut],
    responses=errors(409, s409="The last active administrator cannot be demoted or disabled"),
)
def update_user(
    user_id: str, body: AdminUserPatch, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[UserOut]:
    """Change a user's role or disable them (disabling signs them out everywhere)."""
    user = container.update_user().execute(UpdateUserInput(principal, user_id, body.role, body.disabled, ctx))
    return ok(UserOut.of(user))


@router.get("/audit-logs", response_model=Envelope[list[AuditEventOut]])
def audit_logs(
    principal: PrincipalDep,
    container: ContainerDep,
    user_id: Annotated[str | None, Query(description="Actor user id")] = None,
    action: Annotated[str | None, Query(description="e.g. auth.login_success")] = None,
    since: Annotated[IsoDateTime | None, Query(description="From this time on (not after `until`)")] = None,
    until: Annotated[IsoDateTime | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[AuditEventOut]]:
    """Audit entries, newest first, filtered by actor, action and time range (a time without a zone is UTC)."""
    since, until = (t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t for t in (since, until))
    found, total = container.list_audit_logs().execute(
        ListAuditLogsInput(principal, user_id, action, since, until, offset, limit)
    )
    return ok([AuditEventOut.of(e) for e in found], total=total, offset=offset, limit=limit)


@router.get("/jobs/failed", response_model=Envelope[list[FailedJobOut]])
def failed_jobs(
    principal: PrincipalDep,
    container: ContainerDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[FailedJobOut]]:
    """Background jobs that failed their last attempt, newest first, with a one-line error summary."""
    found, total = container.list_failed_jobs().execute(ListFailedJobsInput(principal, offset, limit))
    return ok([FailedJobOut.of(j) for j in found], total=total, offset=offset, limit=limit)


@router.post("/jobs/failed/{job_id}/requeue", response_model=Envelope[RequeuedOut])
def requeue_failed_job(
    job_id: Annotated[str, Path(max_length=128)], principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[RequeuedOut]:
    """Run a failed job once more, now (audited). 404 if no failed job has that id."""
    job = container.requeue_failed_job().execute(RequeueFailedJobInput(principal, job_id, ctx))
    return ok(RequeuedOut(id=job.id, name=job.name))


@router.get("/metrics", response_model=Envelope[MetricsOut])
def metrics(principal: PrincipalDep, container: ContainerDep) -> Envelope[MetricsOut]:
    """Circuit breakers per outside service, cache hits and misses, failed jobs (this process's view)."""
    return ok(MetricsOut.of(container.get_system_metrics().execute(GetSystemMetricsInput(principal))))
