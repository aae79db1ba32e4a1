"""The contract every extractor returns (see ARCHITECTURE.md, "Contracts")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from extractors.errors import ModelUnavailableError  # noqa: F401 - re-exported for extractors


@dataclass(frozen=True)
class Tag:
    """A label with a score in [0, 1] and where it came from (e.g. "hashtag", "clip", "audio")."""

    label: str
    score: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(float(self.score), 4), "source": self.source}


@dataclass
class ModalityFeatures:
    """One modality's view of a video.

    `vector` is float32 and L2-normalised (or all zeros when the modality is absent);
    `confidence` in [0, 1] says how much signal there was, and fusion weighs by it.
    """

    modality: str
    vector: np.ndarray
    confidence: float
    tags: list[Tag] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    model: str = ""

    def __post_init__(self) -> None:
        self.vector = np.asarray(self.vector, dtype=np.float32).reshape(-1)
        self.confidence = float(min(1.0, max(0.0, self.confidence)))

    @property
    def present(self) -> bool:
        return self.confidence > 0.0

    @classmethod
    def absent(cls, modality: str, dim: int, model: str, reason: str) -> "ModalityFeatures":
        """A modality with no signal: zero vector, confidence 0, and the reason in stats."""
        return cls(modality, np.zeros(dim, np.float32), 0.0, [], {"absent_reason": reason}, model)


def l2_normalize(vector: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Unit-length float32 copy; a zero vector stays zero."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n > eps else np.zeros_like(v)
