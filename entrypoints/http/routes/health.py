"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from application.use_cases.get_system_metrics import workers_problem, workers_summary
from domain.errors import InfrastructureError
from entrypoints.container import Container
from entrypoints.http.deps import ContainerDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Envelope[HealthOut])
async def healthz() -> Envelope[HealthOut]:
    """The process is up (no dependency is checked). On the event loop itself, not the thread pool: it answers
    even while every worker thread waits on a hung dependency."""
    return ok(HealthOut(status="ok"))


@router.get("/readyz", response_model=Envelope[HealthOut], responses={503: {"model": Envelope[HealthOut]}})
def readyz(
    container: ContainerDep,
    workers: Annotated[
        bool,
        Query(
            description="Also require a live worker and a scheduler-role holder (answers 503 without them); for "
            "monitoring, not for a load balancer's probe: a replica without workers still serves requests",
        ),
    ] = False,
) -> Envelope[HealthOut] | JSONResponse:
    """Ready to serve: the database answers and, in production, Redis too. With `workers=true`, also who takes
    jobs: the live workers, the scheduler role's holder and what waits. 503 names the failing part."""
    checks: dict[str, str] = {}
    try:
        container.uow().ping()
        checks["database"] = "ok"
    except InfrastructureError as exc:
        checks["database"] = f"failing: {exc.message}"
    if container.settings().profile == "production":
        try:
            container.redis_client().ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "failing: Redis cannot be reached."
    if workers:
        checks["workers"] = _workers_check(container)
    failing = [name for name, state in checks.items() if not state.startswith("ok")]
    body = ok(HealthOut(status="ok" if not failing else "unavailable", checks=checks))
    if failing:
        payload = body.model_dump(mode="json")
        payload["error"] = {
            "code": "service_unavailable",
            "message": f"Not ready: {', '.join(failing)} failing.",
            "details": [{"service": name} for name in failing],
        }
        return JSONResponse(payload, status_code=503)
    return body


def _workers_check(container: Container) -> str:
    try:
        status = container.job_queue().status()
    except InfrastructureError as exc:
        return f"failing: {exc.message}"
    problem = workers_problem(status)
    return f"failing: {problem}" if problem else f"ok: {workers_summary(status)}"
