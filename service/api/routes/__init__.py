"""The routes, one module per resource, gathered into one router for the app. Every resource route may answer
429 (service.api.ratelimit); the probes, metrics and the page are not limited."""
from __future__ import annotations

from fastapi import APIRouter

from service.api.routes import health, jobs, moments, page, preferences, search, sounds, users, videos
from service.api.schemas import error_responses

api_router = APIRouter()
for module in (videos, moments, jobs, search, users, preferences, sounds):
    api_router.include_router(module.router, responses=error_responses(429))
for module in (health, page):
    api_router.include_router(module.router)

__all__ = ["api_router"]
