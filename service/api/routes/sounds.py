"""Sounds: the ones trending in a recent time window."""
from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import SettingsDep, StoreDep
from service.api.schemas import TrendingSound, TrendingSounds, error_responses
from service.recommend.sounds import engagement_weights

router = APIRouter(prefix="/sounds", tags=["sounds"])

WindowHours = Annotated[float, Query(gt=0, le=24 * 365, description="how far back to look, in hours")]
K = Annotated[int, Query(ge=1, le=100)]


@router.get("/trending", responses=error_responses(422))
def trending_sounds(store: StoreDep, settings: SettingsDep, window_hours: WindowHours = 24.0,
                    k: K = 20) -> TrendingSounds:
    """Sounds ranked by the videos that started using them and the engagement their videos got in the window."""
    since = time.time() - window_hours * 3600.0
    items = store.trending_sounds(since, engagement_weights(settings.signals), k)
    return TrendingSounds(window_hours=window_hours, items=[TrendingSound(**item) for item in items])
