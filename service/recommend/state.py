"""Per-user serving state, kept up to date as events arrive and rebuilt from the events only on demand.

For each (user, video) the signal is the time-decayed sum of the events' signals; a "not interested" sets a
floor (the not-interested signal, decayed from that event), and the video's effective signal is
min(signal, floor). The user's state is, as of a reference time R (the user's latest event), the sums of
the videos' unit modality vectors and tags weighted by their effective signals, positive ones and negative
ones apart. Every term decays by the same factor, so moving R rescales the sums and never changes a sign:
an event touches one video's row and the sums, never the user's whole history. `apply_events` is called in
the transaction that stores the events (by the API, `reelsense events`, or another process's writer), and
`rebuild` folds the events from scratch; both give the same state (tests/service/recommend/test_state.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from service.config import Settings
from service.fusion import MODALITIES
from service.storage.counters import decay
from service.storage.rows import StateRow, UnitsRow, VideoSignalRow


@dataclass
class VideoUnits:
    """What a video contributes to a profile: its unit modality vectors (concatenated, zero where absent),
    which modalities are present, and its ranking tags."""

    unit: np.ndarray
    present: np.ndarray  # bool per modality
    tags: dict[str, float]


@dataclass
class UserState:
    ref_ts: float
    pos: np.ndarray  # float64, concatenated per-modality sums of unit vectors
    neg: np.ndarray
    pos_mass: np.ndarray = field(default_factory=lambda: np.zeros(len(MODALITIES)))
    pos_sq: np.ndarray = field(default_factory=lambda: np.zeros(len(MODALITIES)))
    pos_tags: dict[str, float] = field(default_factory=dict)
    neg_tags: dict[str, float] = field(default_factory=dict)
    engaged: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls, dim: int, ref_ts: float = 0.0) -> UserState:
        return cls(ref_ts, np.zeros(dim), np.zeros(dim))

    def rescale(self, ref_ts: float, half_life_s: float) -> None:
        """Move the reference time forward: every sum decays by the same factor (squares by its square)."""
        if ref_ts <= self.ref_ts:
            return
        f = decay(ref_ts - self.ref_ts, half_life_s)
        self.pos *= f
        self.neg *= f
        self.pos_mass *= f
        self.pos_sq *= f * f
        self.pos_tags = {k: v * f for k, v in self.pos_tags.items()}
        self.neg_tags = {k: v * f for k, v in self.neg_tags.items()}
        self.ref_ts = ref_ts

    def add(self, contribution: float, video: VideoUnits, sign: int = 1) -> None:
        """Add (sign=1) or take out (sign=-1) one video's contribution at the current reference time."""
        if contribution > 0:
            self.pos += sign * contribution * video.unit
            self.pos_mass += sign * contribution * video.present
            self.pos_sq += sign * contribution * contribution * video.present
            _add_tags(self.pos_tags, video.tags, sign * contribution)
        elif contribution < 0:
            self.neg += sign * -contribution * video.unit
            _add_tags(self.neg_tags, video.tags, sign * -contribution)

    def to_row(self, settings_key: str) -> StateRow:
        vectors = np.concatenate([self.pos, self.neg, self.pos_mass, self.pos_sq]).astype("<f8").tobytes()
        scalars = {"pos_tags": self.pos_tags, "neg_tags": self.neg_tags, "engaged": self.engaged,
                   "counts": self.counts}
        return StateRow(self.ref_ts, vectors, json.dumps(scalars), settings_key, False)

    @classmethod
    def from_row(cls, row: StateRow) -> UserState:
        values = np.frombuffer(row.vectors, "<f8").copy()
        n = len(MODALITIES)
        dim = (len(values) - 2 * n) // 2
        s = json.loads(row.scalars)
        return cls(row.ref_ts, values[:dim], values[dim : 2 * dim], values[2 * dim : 2 * dim + n],
                   values[2 * dim + n :], s["pos_tags"], s["neg_tags"], s["engaged"], s["counts"])


def _add_tags(target: dict[str, float], tags: dict[str, float], weight: float) -> None:
    for label, score in tags.items():
        value = target.get(label, 0.0) + weight * score
        if abs(value) < 1e-12:
            target.pop(label, None)
        else:
            target[label] = value


def effective(row: VideoSignalRow) -> float:
    return row.signal if row.floor is None else min(row.signal, row.floor)


def settings_key(settings: Settings) -> str:
    """What the stored state depends on: a state built under other signals or half-life is rebuilt."""
    return json.dumps([list(settings.signals.__dict__.values()), settings.profile_half_life_days])


def video_units(fused: np.ndarray, dims: dict[str, int], tags: dict[str, float]) -> VideoUnits:
    unit = np.zeros(len(fused), np.float64)
    present = np.zeros(len(MODALITIES))
    start = 0
    for j, m in enumerate(MODALITIES):
        block = fused[start : start + dims[m]].astype(np.float64)
        norm = float(np.linalg.norm(block))
        if norm > 1e-9:
            unit[start : start + dims[m]] = block / norm
            present[j] = 1.0
        start += dims[m]
    return VideoUnits(unit, present, tags)


def units_of(rows: list[UnitsRow], dims: dict[str, int]) -> dict[str, VideoUnits]:
    """The videos' units, normalised per modality in one vectorised pass (a batch's videos at once)."""
    if not rows:
        return {}
    matrix = np.frombuffer(b"".join(r.fused for r in rows), "<f4").reshape(len(rows), -1).astype(np.float64)
    present = np.zeros((len(rows), len(MODALITIES)))
    start = 0
    for j, m in enumerate(MODALITIES):
        block = matrix[:, start : start + dims[m]]
        norms = np.linalg.norm(block, axis=1)
        has = norms > 1e-9
        block[has] /= norms[has, None]
        block[~has] = 0.0
        present[:, j] = has
        start += dims[m]
    return {r.video_id: VideoUnits(matrix[i], present[i], json.loads(r.tags)) for i, r in enumerate(rows)}
