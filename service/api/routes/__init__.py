"""The routes, one module per resource, gathered into one router for the app."""
from __future__ import annotations

from fastapi import APIRouter

from service.api.routes import health, jobs, moments, page, preferences, search, sounds, users, videos

api_router = APIRouter()
for module in (videos, moments, jobs, search, users, preferences, sounds, health, page):
    api_router.include_router(module.router)

__all__ = ["api_router"]
