"""Administration: users (role, disable), the audit log, failed background jobs and runtime metrics.
Administrators only."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from application.use_cases.export_audit_log import ExportAuditLogInput
from application.use_cases.get_system_metrics import GetSystemMetricsInput
from application.use_cases.list_audit_logs import ListAuditLogsInput
from application.use_cases.list_failed_jobs import ListFailedJobsInput
from application.use_cases.list_users import ListUsersInput
from application.use_cases.requeue_failed_job import RequeueFailedJobInput
from application.use_cases.update_user import UpdateUserInput
from domain.identity import Principal
from entrypoints.http.admin_schemas import FailedJobOut, MetricsOut, RequeuedOut
from entrypoints.http.audit_csv import audit_csv
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


class AuditFilters:
    """The audit log's filters, shared by the page and the CSV export."""

    def __init__(
        self,
        user_id: Annotated[str | None, Query(description="Actor user id", max_length=64)] = None,
        actor: Annotated[
            str | None, Query(description="Actor e-mail address (any case); no match gives no entries", max_length=320)
        ] = None,
        action: Annotated[str | None, Query(description="e.g. auth.login_success", max_length=100)] = None,
        exclude_action: Annotated[
            list[str],
            Query(description="Leave these actions out (repeat it), e.g. auth.refresh and mail.search"),
        ] = [],  # noqa: B006 (FastAPI copies a query default; a list type without null keeps the schema plain)
        since: Annotated[IsoDateTime | None, Query(description="From this time on (not after `until`)")] = None,
        until: Annotated[IsoDateTime | None, Query()] = None,
    ) -> None:
        self.user_id, self.actor, self.action = user_id, actor, action
        self.exclude = tuple(exclude_action)
        # A time without a zone is UTC.
        self.since, self.until = (
            t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t for t in (since, until)
        )

    def input(self, principal: Principal, offset: int = 0, limit: int = 50) -> ListAuditLogsInput:
        return ListAuditLogsInput(
            principal,
            actor_id=self.user_id,
            action=self.action,
            since=self.since,
            until=self.until,
            offset=offset,
            limit=limit,
            actor_email=self.actor,
            exclude_actions=self.exclude,
        )


AuditFiltersDep = Annotated[AuditFilters, Depends()]
CSV_COLUMNS = (
    "time",
    "action",
    "actor_email",
    "actor_name",
    "actor_id",
    "target",
    "ip",
    "user_agent",
    "request_id",
    "details",
    "seq",
    "hash",
)


@router.get("/audit-logs", response_model=Envelope[list[AuditEventOut]])
def audit_logs(
    principal: PrincipalDep,
    container: ContainerDep,
    filters: AuditFiltersDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[AuditEventOut]]:
    """Audit entries, newest first, filtered by actor (e-mail or id), action, left-out actions and time range;
    each names its actor's e-mail and display name."""
    page = container.list_audit_logs().execute(filters.input(principal, offset, limit))
    return ok([AuditEventOut.of(e, page.actor(e)) for e in page.entries], total=page.total, offset=offset, limit=limit)


@router.get(
    "/audit-logs/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The entries as CSV"}},
)
def export_audit_logs(
    principal: PrincipalDep, container: ContainerDep, filters: AuditFiltersDep, ctx: AuditContextDep
) -> StreamingResponse:
    """Every entry matching the filters (no paging), newest first, as a CSV file; the export itself is audited."""
    rows = container.export_audit_log().execute(ExportAuditLogInput(filters.input(principal), ctx))
    stamp = container.clock().now().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit_csv(rows, CSV_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'},
    )


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
