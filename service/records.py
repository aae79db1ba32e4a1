"""The record of one analysed video, shared by pipeline, store, CLI and API."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from extractors.audio.fingerprint import SoundPrint
from extractors.base import ModalityFeatures, Tag, l2_normalize
from extractors.visual.framehash import FramePrint
from service.fusion import MODALITIES, FusedVector, fuse


@dataclass
class FrameThumbnail:
    """A small JPEG of one sampled frame, so people (and time-coded results) can see what was analysed."""

    index: int  # position among the video's sampled frames, in time order
    time_s: float
    width: int
    height: int
    jpeg: bytes | None = None  # None when read from the store without its image (Store.frame_jpeg reads it)


@dataclass
class Moment:
    """A time range of a video that a search can point at: a sampled frame (CLIP vector), a line of on-screen
    text, or a run of speech or music (text vectors). `frame_index` is the sampled frame that shows it, whose
    thumbnail is served at `/videos/{id}/frames/{frame_index}.jpg`."""

    kind: str  # "frame", "text", "speech", "music" or "noise"
    start_s: float
    end_s: float
    frame_index: int
    text: str = ""  # the words for text, speech and music moments ("" for frames)
    model: str = ""  # the embedding space of `vector`: the visual model for frames, the text model otherwise
    vector: np.ndarray | None = None  # unit float32 in memory, float16 on disk

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "frame_index": self.frame_index, "text": self.text}


@dataclass
class VideoRecord:
    id: str  # SHA-256 of the file content
    path: str
    title: str
    description: str
    hashtags: list[str]
    creator: str
    info: dict[str, Any]
    features: dict[str, ModalityFeatures]
    fused: FusedVector
    space_id: str
    warnings: list[str] = field(default_factory=list)
    created_at: float = 0.0
    frames: list[FrameThumbnail] = field(default_factory=list)  # one per sampled frame, in time order
    shot_starts: list[float] = field(default_factory=list)  # seconds where each detected shot begins
    sound_print: SoundPrint | None = None  # audio landmarks; indexed by the store, not part of the summary
    frame_print: FramePrint | None = None  # perceptual frame hashes; likewise
    sound: dict[str, Any] | None = None  # set by the store: {"sound_id", "offset_s", "matched_video_id"}
    duplicate_of: str | None = None  # set by the store: the stored original this video re-uploads
    # Time-coded search: stored with the record in one transaction, read on demand (`Store.moments_of`), so a
    # record read back from the store has none.
    moments: list[Moment] = field(default_factory=list)

    @classmethod
    def from_vectors(cls, video_id: str, vectors: dict[str, np.ndarray], confidences: dict[str, float] | None = None,
                     *, space_id: str, created_at: float, tags: list[Tag] = (), creator: str = "",
                     temperature: float = 0.5, source: str = "synthetic") -> VideoRecord:
        """A record of given modality vectors (no media), fused exactly as the pipeline fuses: the simulation's
        synthetic world, the benchmarks' writers and the tests store these. An all-zero vector is an absent
        modality (confidence 0); the tags go on the text modality."""
        confidences = confidences or {m: 1.0 for m in vectors}
        features = {}
        for m in MODALITIES:
            v = l2_normalize(vectors[m])
            features[m] = ModalityFeatures(m, v, confidences.get(m, 1.0) if np.any(v) else 0.0,
                                           list(tags) if m == "text" else [], {}, source)
        dims = {m: int(vectors[m].size) for m in MODALITIES}
        return cls(video_id, f"{source}://{video_id}", video_id, "", [], creator, {"duration_s": 10.0}, features,
                   fuse(features, dims, temperature), space_id, [], created_at)

    def shot_of(self, time_s: float) -> int:
        """The 0-based shot a moment falls in (0 when no shots were detected)."""
        return max(0, sum(1 for s in self.shot_starts if s <= time_s + 1e-6) - 1)

    @property
    def tags(self) -> list[Tag]:
        """All modalities' tags, strongest first (ties by source and label, so order survives a store round trip)."""
        return sorted((t for f in self.features.values() for t in f.tags), key=lambda t: (-t.score, t.source, t.label))

    @property
    def duration_s(self) -> float:
        return float(self.info.get("duration_s", 0.0))

    def vector(self, modality: str) -> np.ndarray:
        return self.features[modality].vector

    def summary(self, top: int = 8) -> dict[str, Any]:
        """A JSON-ready view: what `reelsense tag` prints and the API returns."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "duration_s": self.duration_s,
            "tags": [t.to_dict() for t in self.tags[:top]],
            "weights": {m: round(w, 4) for m, w in self.fused.weights.items()},
            "confidence": {m: round(f.confidence, 4) for m, f in self.features.items()},
            "stats": {m: f.stats for m, f in self.features.items()},
            "vector_dim": int(self.fused.vector.size),
            "space_id": self.space_id,
            "warnings": self.warnings,
            "sound": self.sound,
            "duplicate_of": self.duplicate_of,
        }
