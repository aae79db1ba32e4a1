"""Time-coded search: the moments of a video (sampled frames with CLIP vectors, lines of on-screen text, runs of
speech and music), built at analysis time (`build`) and ranked against a query (`search`)."""
from __future__ import annotations

from service.moments.build import build_moments
from service.moments.search import MomentSearch

__all__ = ["MomentSearch", "build_moments"]
