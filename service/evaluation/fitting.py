"""Learning the global modality weights from recorded events, with a held-out split by time.

For every (user, video) pair the video is scored per modality against the user's profile built from
strictly earlier events; the fit learns which modalities predict engagement (see service.fusion.learned).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from service.config import Settings
from service.errors import QueryError
from service.fusion import MODALITIES, auc, blocks, fit_modality_weights, weighted_scores
from service.recommend.catalogue import Catalogue
from service.recommend.events import signal
from service.recommend.profiles import build_profile
from service.recommend.state import VideoUnits, video_units


def fusion_samples(store, cat: Catalogue, settings: Settings,
                   users: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parts [n, 3], labels [n], timestamps [n]) over every user's first contact with each video."""
    parts, labels, times = [], [], []
    for user in users if users is not None else store.users():
        for row, label, ts in _user_samples(user, store.events(user), cat, settings):
            parts.append(row)
            labels.append(label)
            times.append(ts)
    return np.array(parts).reshape(-1, len(MODALITIES)), np.array(labels, bool), np.array(times)


def _user_samples(user: str, events: list[tuple], cat: Catalogue, settings: Settings):
    first_ts: dict[str, float] = {}
    total: dict[str, float] = {}
    for _u, vid, kind, ts, _w, completion in events:
        first_ts.setdefault(vid, ts)
        total[vid] = total.get(vid, 0.0) + signal(kind, completion, settings.signals)
    uniform = {m: 1.0 for m in MODALITIES}
    units: dict[str, VideoUnits] = {}
    for vid in first_ts:
        if vid in cat.row:
            units[vid] = video_units(cat.rows(np.array([cat.row[vid]]))[0], cat.dims, {})
    for vid, ts in first_ts.items():
        if vid not in cat.row:
            continue
        history = [e for e in events if e.ts < ts]
        prof = build_profile(user, history, units, cat.dims, settings, uniform, cat.baseline, now=ts)
        if prof.positive is not None:
            yield _modality_cosines(prof.positive.vector, cat, cat.row[vid]), \
                total[vid] > settings.signal_view_base + 1e-9, ts


def _modality_cosines(query: np.ndarray, cat: Catalogue, i: int) -> list[float]:
    row = []
    q, v = blocks(query, cat.dims), blocks(cat.rows(np.array([i]))[0], cat.dims)
    for m in MODALITIES:
        norm = float(np.linalg.norm(q[m]))
        row.append(float(q[m] @ v[m]) / norm if norm > 0 else 0.0)
    return row


def fit_fusion(store, cat: Catalogue, settings: Settings, before: dict[str, float], holdout: float = 0.2,
               min_samples: int = 20) -> dict[str, Any]:
    """Learn the global modality weights, keep them in the store, and report the held-out gain.

    The latest `holdout` share of (user, video) pairs by time is held out; the gain is the held-out
    AUC of the fitted weights minus that of the weights in force before the fit (`before`).
    """
    parts, labels, times = fusion_samples(store, cat, settings)
    if len(labels) < min_samples or labels.all() or not labels.any():
        raise QueryError("not_enough_events", f"need at least {min_samples} (user, video) pairs with both engaged "
                         f"and not-engaged outcomes after a first positive event; have {len(labels)}")
    order = np.argsort(times, kind="stable")
    cut = round(len(order) * (1.0 - holdout))
    train, test = order[:cut], order[cut:]
    fitted = fit_modality_weights(parts[train], labels[train])
    report = {
        "weights": {m: round(w, 4) for m, w in fitted.items()},
        "previous_weights": {m: round(w, 4) for m, w in before.items()},
        "train_pairs": len(train), "heldout_pairs": len(test),
        "heldout_auc": round(auc(weighted_scores(parts[test], fitted), labels[test]), 4),
        "heldout_auc_previous": round(auc(weighted_scores(parts[test], before), labels[test]), 4),
    }
    report["gain"] = round(report["heldout_auc"] - report["heldout_auc_previous"], 4)
    fit_settings = {"holdout": holdout, "signal_view_base": settings.signal_view_base,
                    "profile_half_life_days": settings.profile_half_life_days}
    store.save_fusion_weights("global", fitted, fit_settings, report)
    return report
