"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.errors import InfrastructureError
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
def readyz(container: ContainerDep) -> Envelope[HealthOut] | JSONResponse:
    """Ready to serve: the database answers and, in production, Redis too. 503 names the failing part."""
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
    failing = [name for name, state in checks.items() if state != "ok"]
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
