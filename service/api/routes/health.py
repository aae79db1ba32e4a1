"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from service.api.deps import MetricsDep, PoolDep
from service.api.metrics import CONTENT_TYPE
from service.api.schemas import Health, Ready, error_responses
from service.errors import WorkerError

router = APIRouter(tags=["health"])

METRICS_EXAMPLE = 'reelsense_http_requests_total{method="GET",route="/healthz",status="200"} 3.0'
METRICS_RESPONSE = {200: {"description": "Prometheus text format",
                          "content": {"text/plain": {"schema": {"type": "string"}, "example": METRICS_EXAMPLE}}}}


@router.get("/healthz")
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", responses=error_responses(503, codes={503: "not_ready"}))
async def readyz(request: Request, pool: PoolDep) -> Ready:
    """Readiness: at least one worker has loaded and warmed its models, and the recommender is loaded."""
    if pool.ready_workers < 1 or getattr(request.app.state, "recommender", None) is None:
        last_error = f"; last error: {pool.last_error}" if pool.last_error else ""
        raise WorkerError("not_ready", f"{pool.ready_workers}/{pool.size} workers ready{last_error}")
    return Ready(status="ready", workers_ready=pool.ready_workers, workers=pool.size, space_id=pool.space_id)


@router.get("/metrics", response_class=PlainTextResponse, responses=METRICS_RESPONSE)
async def prometheus_metrics(metrics: MetricsDep, pool: PoolDep) -> Response:
    """Prometheus text format."""
    return Response(metrics.exposition(pool), media_type=CONTENT_TYPE)
