"""GET /metrics: every metric of this API process in the Prometheus text format, for a bearer token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Header, Response

from domain.errors import AuthenticationFailed, NotFound
from entrypoints.http.deps import ContainerDep
from entrypoints.http.openapi_contract import errors

router = APIRouter(tags=["operations"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {PROMETHEUS_TEXT: {"schema": {"type": "string"}}}, "description": "Prometheus text format"},
        **errors(
            401,
            404,
            s401="Missing or wrong metrics token",
            s404="Metrics are not enabled on this port (set MAILAGENT_METRICS_TOKEN)",
        ),
    },
)
def metrics(container: ContainerDep, authorization: str | None = Header(None)) -> Response:
    """Counters, histograms and gauges of this process (docs/metrics.md). Send
    `Authorization: Bearer <MAILAGENT_METRICS_TOKEN>`; without a configured token this answers 404, so that no
    installation exposes its metrics by accident (MAILAGENT_METRICS_PORT offers a token-free listener instead)."""
    token = container.settings().metrics_token
    if token is None:
        raise NotFound("Metrics are not enabled here: set MAILAGENT_METRICS_TOKEN, or MAILAGENT_METRICS_PORT.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise AuthenticationFailed("Send the metrics token as Authorization: Bearer <token>.")
    return Response(container.prometheus().render(), media_type=PROMETHEUS_TEXT)
