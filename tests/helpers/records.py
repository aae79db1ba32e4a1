"""The test factory of stored videos: a `VideoRecord` from given modality vectors, with the defaults tests want
(one embedding space, "synthetic"; stored now), so a test states only what it is about."""
from __future__ import annotations

import time

import numpy as np

from extractors.base import Tag
from service.records import VideoRecord


def synthetic_record(
    video_id: str, vectors: dict[str, np.ndarray], confidences: dict[str, float] | None = None,
    tags: list[Tag] = (), creator: str = "", created_at: float | None = None, space_id: str = "synthetic",
    temperature: float = 0.5,
) -> VideoRecord:
    """A VideoRecord built from given modality vectors, fused exactly as the pipeline fuses."""
    return VideoRecord.from_vectors(video_id, vectors, confidences, space_id=space_id, tags=tags, creator=creator,
                                    created_at=time.time() if created_at is None else created_at,
                                    temperature=temperature)
