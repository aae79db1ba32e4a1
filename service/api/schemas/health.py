"""Probes: liveness and readiness."""
from __future__ import annotations

from pydantic import Field

from service.api.schemas.base import ResponseModel, with_examples


class Health(ResponseModel):
    model_config = with_examples({"status": "ok"})
    status: str


class Ready(ResponseModel):
    model_config = with_examples({"status": "ready", "workers_ready": 2, "workers": 2, "space_id": "text=…|visual=…"})
    status: str
    workers_ready: int
    workers: int
    space_id: str | None = Field(description="embedding space of the workers' models")
