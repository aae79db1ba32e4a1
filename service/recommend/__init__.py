"""Recommendation: catalogue + index, user profiles from events, ranking stages, explanations, fitting."""
from __future__ import annotations

from service.recommend.events import EVENT_TYPES, Event
from service.recommend.recommender import Recommender

__all__ = ["EVENT_TYPES", "Event", "Recommender"]
