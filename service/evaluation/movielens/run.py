"""`reelsense evaluate --movielens DIR`: build the catalogue, run every scenario through the product and the
baselines, and print recall@10 / NDCG@10 per scenario with the targets checked."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.config import Settings
from service.evaluation.movielens import baselines
from service.evaluation.movielens.data import MovieLens, read_movielens, text_records
from service.evaluation.movielens.itemitem import EaseBaseline, ItemKnnBaseline
from service.evaluation.movielens.protocol import (
    Request,
    by_user,
    new_item_requests,
    new_items,
    new_user_requests,
    top_k,
    user_folds,
)
from service.evaluation.movielens.replay import Replay, events_of
from service.evaluation.movielens.report import Table
from service.storage import SCHEMA_VERSION, Store

log = logging.getLogger(__name__)
EXPLORATION_SHARES = (0.1, 0.2)  # exploration slots measured for their cost
METHODS = ("reelsense", *(f"reelsense + exploration {s:g}" for s in EXPLORATION_SHARES),
           "reelsense (served defaults)", "random", "popularity", "plain content", "lightfm", "ease^r", "itemknn")


@dataclass
class EvalConfig:
    folds: int = 5
    run_folds: int = 5  # how many of the folds to run (1: fold 0 only, a quick look)
    seed: int = 0
    new_item_share: float = 0.2
    half_life_days: float = 365.0  # of the popularity counters: MovieLens spans 22 years
    lightfm: bool = True
    new_items: bool = True
    fit: bool = True  # False (`--no-fit`): what a server gets before anyone runs `reelsense fit`


def variants(settings: Settings, cfg: EvalConfig) -> dict[str, Settings]:
    """The ranker as measured (relevance only: no exploration slots, no MMR, no caps), with exploration slots
    only (two shares), and as served with the configured exploration, MMR and caps."""
    base = settings.model_copy(update={"popularity_half_life_days": cfg.half_life_days})
    ranking = base.model_copy(update={"exploration_share": 0.0, "mmr_lambda": 1.0, "max_per_category": 10_000,
                                      "max_per_creator": 10_000})
    out = {"reelsense": ranking}
    for share in EXPLORATION_SHARES:
        out[f"reelsense + exploration {share:g}"] = ranking.model_copy(update={"exploration_share": share})
    out["reelsense (served defaults)"] = base
    return out


def build_base_store(data: MovieLens, text, settings: Settings, work_dir: Path) -> tuple[Path, np.ndarray]:
    """Every movie as a text-only record in a store without events; returns the movies' text vectors. The store
    is kept (with the vectors beside it) and reused while the movies and the text model are the same."""
    key = hashlib.sha256(json.dumps([data.movie_ids, data.titles, data.genres, text.model, SCHEMA_VERSION,
                                     settings.fusion_temperature]).encode()).hexdigest()[:16]
    path = work_dir / f"movielens-{key}.db"
    vectors_path = path.with_suffix(".npy")
    if path.exists() and vectors_path.exists():
        return path, np.load(vectors_path)
    path.unlink(missing_ok=True)
    records = text_records(text, data, float(data.times.min()), settings.fusion_temperature)
    with Store(path) as store:
        store.add_many(records)
    vectors = np.stack([r.features["text"].vector for r in records])
    np.save(vectors_path, vectors)
    return path, vectors


def _baselines(table: Table, req: Request, data: MovieLens, vectors: np.ndarray, pop: np.ndarray | None,
               lfm, candidates: np.ndarray, rng: np.random.Generator, text, item_item: dict | None = None) -> None:
    for name, model in (item_item or {}).items():
        if len(req.shown):  # history-only models: nothing to say without revealed ratings
            table.add(req.scenario, name, top_k(model.scores(req.shown), candidates, rng), req.relevant)
    table.add(req.scenario, "random", top_k(np.zeros(len(vectors)), candidates, rng), req.relevant)
    if pop is not None:
        table.add(req.scenario, "popularity", top_k(pop, candidates, rng), req.relevant)
    if req.stated is not None:
        content = vectors @ text.text_vector(req.stated)
    else:
        content = baselines.plain_content(data, vectors, req.shown) if len(req.shown) else None
    if content is not None:
        table.add(req.scenario, "plain content", top_k(content, candidates, rng), req.relevant)
    if lfm is not None:
        genres = [g for g in lfm.genres if req.stated and g.lower() in req.stated.split(", ")]
        table.add(req.scenario, "lightfm", top_k(lfm.scores(req.user, req.shown, genres), candidates, rng),
                  req.relevant)


def run_new_users(data: MovieLens, cfg: EvalConfig, settings: Settings, text, base_db: Path, vectors: np.ndarray,
                  table: Table, say: Callable[[str], None]) -> None:
    history = by_user(data)
    rng = np.random.default_rng(cfg.seed)
    for f, fold in enumerate(user_folds(data, cfg.folds, cfg.seed)[: cfg.run_folds]):
        started = time.perf_counter()
        held = set(fold)
        train = np.flatnonzero(~np.isin(data.users, list(held)))
        train = train[np.argsort(data.times[train], kind="stable")]
        requests = new_user_requests(data, fold, history)
        lfm = baselines.LightFMBaseline(data, train, history, cfg.seed) if cfg.lightfm else None
        pop = baselines.popularity(data, train)
        item_item = {"ease^r": EaseBaseline(data, train, cfg.seed), "itemknn": ItemKnnBaseline(data, train)}
        table.fold = f
        say(f"fold {f}: EASE^R lambda {item_item['ease^r'].lam:g} (picked on training users)")
        replay = Replay(base_db, base_db.with_name(f"{base_db.stem}-fold{f}.db"), data, variants(settings, cfg), text)
        try:
            train_events = events_of(data, train)
            if cfg.fit:
                replay.fit_co_engagement(train_events)
            served = replay.serve(requests, train_events, diversity=None)
        finally:
            replay.close()
        for i, req in enumerate(requests):
            candidates = np.array(sorted(set(range(len(data.movie_ids))) - req.exclude), np.int64)
            for name, ranked in served.items():
                table.add(req.scenario, name, ranked[i], req.relevant)
            _baselines(table, req, data, vectors, pop, lfm, candidates, rng, text, item_item)
        say(f"fold {f}: {len(fold)} users, {len(requests)} requests, {time.perf_counter() - started:.0f} s")


def run_new_items(data: MovieLens, cfg: EvalConfig, settings: Settings, text, base_db: Path, vectors: np.ndarray,
                  table: Table, say: Callable[[str], None]) -> None:
    started = time.perf_counter()
    history = by_user(data)
    held = new_items(data, cfg.new_item_share)
    is_new = np.zeros(len(data.movie_ids), bool)
    is_new[held] = True
    train = np.flatnonzero(~is_new[data.items])
    train = train[np.argsort(data.times[train], kind="stable")]
    requests = new_item_requests(data, held, history)
    lfm = baselines.LightFMBaseline(data, train, history, cfg.seed) if cfg.lightfm else None
    item_item = {"ease^r": EaseBaseline(data, train, cfg.seed), "itemknn": ItemKnnBaseline(data, train)}
    replay = Replay(base_db, base_db.with_name(f"{base_db.stem}-newitems.db"), data,
                    {"reelsense": variants(settings, cfg)["reelsense"]}, text)
    try:
        train_events = events_of(data, train)
        if cfg.fit:
            replay.fit_co_engagement(train_events)
        replay.record(train_events)
        ranked = replay.score_new_items(requests, held)
    finally:
        replay.close()
    rng = np.random.default_rng(cfg.seed)
    fold_of = {u: f for f, users in enumerate(user_folds(data, cfg.folds, cfg.seed)) for u in users}
    for req, top in zip(requests, ranked, strict=True):
        table.fold = fold_of[req.user]  # one split: the interval is over the users' fold groups
        table.add(req.scenario, "reelsense", top, req.relevant)
        _baselines(table, req, data, vectors, None, lfm, held, rng, text, item_item)
    say(f"new items: {len(held)} held-out movies, {len(requests)} users, {time.perf_counter() - started:.0f} s")


def evaluate_movielens(folder: Path, settings: Settings, text, cfg: EvalConfig, work_dir: Path,
                       say: Callable[[str], None] = print) -> Table:
    data = read_movielens(folder)
    table = Table()
    missing = baselines.lightfm_missing() if cfg.lightfm else "LightFM column skipped: --no-lightfm"
    if missing:
        cfg.lightfm = False
        table.notes.append(missing)
        say(missing)
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    base_db, vectors = build_base_store(data, text, settings, work_dir)
    say(f"{len(data.movie_ids)} movies, {len(data.ratings)} ratings, {len(set(data.users.tolist()))} users; "
        f"catalogue built in {time.perf_counter() - started:.0f} s")
    if cfg.new_items:
        run_new_items(data, cfg, settings, text, base_db, vectors, table, say)
    run_new_users(data, cfg, settings, text, base_db, vectors, table, say)
    return table
