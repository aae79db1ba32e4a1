"""Ranking metrics and an offline cold-start simulation against popularity and random baselines.

The simulation builds a synthetic world in a real store: videos on taxonomy topics (text vectors from
the real text encoder when one is given, visual/audio vectors around per-topic centres), a warm
population whose events make popularity meaningful, and new users with hidden tastes. New users are
then served after 0 events (with and without stated interests), 1 and 5 events, and new videos with
no events are ranked for them; every figure is compared with a popularity and a random ranking.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from extractors.taxonomy import load_taxonomy
from service.config import Settings
from service.recommend.events import Event
from service.records import VideoRecord
from service.storage import Store

# -- metrics -----------------------------------------------------------------------------------------


def precision_at_k(ranked: list[str], relevant: set[str], k: int) -> float:
    return sum(1 for v in ranked[:k] if v in relevant) / k if k > 0 else 0.0


def recall_at_k(ranked: list[str], relevant: set[str], k: int) -> float:
    return sum(1 for v in ranked[:k] if v in relevant) / len(relevant) if relevant else 0.0


def ndcg_at_k(ranked: list[str], gains: dict[str, float], k: int) -> float:
    """Normalised discounted cumulative gain with graded gains (missing items gain 0)."""
    dcg = sum(gains.get(v, 0.0) / math.log2(i + 2) for i, v in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


# -- simulation --------------------------------------------------------------------------------------


@dataclass
class SimulationConfig:
    topics: int = 12
    videos: int = 480
    new_videos: int = 60
    warm_users: int = 120
    warm_events: int = 40
    test_users: int = 60
    k: int = 10
    seed: int = 0
    visual_dim: int = 32
    audio_dim: int = 16
    visual_noise: float = 1.0
    audio_noise: float = 1.6


@dataclass
class World:
    topics: list[str]
    video_ids: list[str]
    new_ids: list[str]
    topic_of: dict[str, int]
    quality: dict[str, float]
    prompts: list[str]


def _title(rng: np.random.Generator, description: str) -> str:
    words = [w.strip() for w in description.replace(" and ", ",").split(",") if w.strip()]
    picks = rng.choice(words, size=min(2, len(words)), replace=False)
    extra = rng.choice(["today", "in 30 seconds", "you need to see", "part 2", "my routine", "best of", "quick tips"])
    return f"{' and '.join(picks)} {extra}"


def build_world(store: Store, cfg: SimulationConfig, text=None, now: float | None = None) -> World:
    """Populate `store` with a synthetic catalogue (old and new videos) on taxonomy topics."""
    rng = np.random.default_rng(cfg.seed)
    now = time.time() if now is None else now
    cats = list(load_taxonomy())[: cfg.topics]
    text_dim = text.dim if text is not None else 32
    centres = {m: rng.normal(size=(cfg.topics, d)) for m, d in
               (("text", text_dim), ("visual", cfg.visual_dim), ("audio", cfg.audio_dim))}
    total = cfg.videos + cfg.new_videos
    topic = rng.integers(0, cfg.topics, size=total)
    titles = [_title(rng, cats[t].description) for t in topic]
    if text is not None:
        text_vecs = text.embed(titles)
    else:
        text_vecs = centres["text"][topic] + 0.8 * rng.normal(size=(total, text_dim))
    world = World([c.id for c in cats], [], [], {}, {}, [c.label for c in cats])
    for j in range(total):
        new = j >= cfg.videos
        vid = f"{'new' if new else 'vid'}{j:05d}"
        vectors = {
            "text": np.asarray(text_vecs[j], np.float32),
            "visual": centres["visual"][topic[j]] + cfg.visual_noise * rng.normal(size=cfg.visual_dim),
            "audio": centres["audio"][topic[j]] + cfg.audio_noise * rng.normal(size=cfg.audio_dim),
        }
        age_days = rng.uniform(0, 1) if new else rng.uniform(5, 60)
        record = VideoRecord.from_vectors(vid, vectors, {"text": 0.8, "visual": 0.9, "audio": 0.6},
                                          creator=f"creator{rng.integers(0, 60)}", created_at=now - age_days * 86400,
                                          space_id="synthetic")
        record.title = titles[j]
        store.add(record)
        (world.new_ids if new else world.video_ids).append(vid)
        world.topic_of[vid] = int(topic[j])
        world.quality[vid] = float(rng.beta(2, 3))
    return world


def engage_probability(taste: np.ndarray, world: World, vid: str) -> float:
    return float(min(1.0, 0.02 + 0.9 * taste[world.topic_of[vid]] * (0.4 + world.quality[vid])))


def _react(rng, taste, world, user, vid, ts) -> tuple[list[Event], bool]:
    """One impression and the user's reaction drawn from their hidden taste."""
    events = [Event(user, vid, "impression", ts)]
    if rng.random() < engage_probability(taste, world, vid):
        events.append(Event(user, vid, "view", ts + 1, watch_seconds=9.0, completion=float(rng.uniform(0.8, 1.0))))
        if rng.random() < 0.5:
            events.append(Event(user, vid, "like", ts + 2))
        return events, True
    if rng.random() < 0.5:
        events.append(Event(user, vid, "skip", ts + 1))
    else:
        events.append(Event(user, vid, "view", ts + 1, watch_seconds=1.0, completion=0.1))
    return events, False


def _taste(rng: np.random.Generator, topics: int) -> np.ndarray:
    taste = rng.dirichlet(np.full(topics, 0.25))
    return taste / taste.max()  # the favourite topic has affinity 1


NEW_VIDEOS_SCENARIO = "new videos (no events), user after 5 events"
RELEVANT_GAIN = 0.45  # a video the hidden taste engages with at least this often counts as relevant


class _Simulation:
    """The scenarios for one world: a warm population first, then each test user's cold start."""

    def __init__(self, recommender, world: World, cfg: SimulationConfig, now: float):
        self.recommender, self.world, self.cfg, self.now = recommender, world, cfg, now
        self.rng = np.random.default_rng(cfg.seed + 1)
        self.results: dict[str, dict[str, list[tuple]]] = {}
        self.all_ids = world.video_ids + world.new_ids
        self.popularity: list[str] = []

    def warm_up(self) -> None:
        """Events of the warm population on old videos only, so popularity is real and new videos have none."""
        old, rng = self.world.video_ids, self.rng
        bias = np.array([self.world.quality[v] for v in old])
        batch: list[Event] = []
        for u in range(self.cfg.warm_users):
            taste = _taste(rng, len(self.world.topics))
            for vid in rng.choice(old, size=self.cfg.warm_events, replace=False, p=bias / bias.sum()):
                events, _ = _react(rng, taste, self.world, f"warm{u}", str(vid), self.now - rng.uniform(1, 30) * 86400)
                batch.extend(events)
        self.recommender.record_events(batch)
        counts = self.recommender.store.video_event_counts()
        self.popularity = sorted(self.all_ids, key=lambda v: -(counts.get(v, {}).get("like", 0)
                                                               + counts.get(v, {}).get("complete_view", 0)))

    def score(self, scenario: str, method: str, ranked: list[str], gains: dict[str, float], relevant: set[str]):
        k = self.cfg.k
        self.results.setdefault(scenario, {}).setdefault(method, []).append(
            (precision_at_k(ranked, relevant, k), recall_at_k(ranked, relevant, k), ndcg_at_k(ranked, gains, k)))

    def evaluate(self, scenario: str, user: str, gains: dict[str, float], relevant: set[str], seen: set[str]):
        feed = [it["video_id"] for it in self.recommender.recommend(user, self.cfg.k, now=self.now, explain="false")]
        unseen = [v for v in self.all_ids if v not in seen]
        self.score(scenario, "reelsense", feed, gains, relevant - seen)
        self.score(scenario, "popularity", [v for v in self.popularity if v not in seen], gains, relevant - seen)
        self.score(scenario, "random", list(self.rng.permutation(unseen)), gains, relevant - seen)

    def test_user(self, u: int) -> None:
        """0 events, stated interests, then 1 and 5 engagements from a random stream; then new videos."""
        taste = _taste(self.rng, len(self.world.topics))
        user = f"test{u}"
        gains = {v: engage_probability(taste, self.world, v) for v in self.all_ids}
        relevant = {v for v, g in gains.items() if g >= RELEVANT_GAIN}
        self.evaluate("new user, 0 events", user, gains, relevant, set())
        self.recommender.set_interests(user, self.world.prompts[int(np.argmax(taste))])
        self.evaluate("new user, stated interests", user, gains, relevant, set())
        self.recommender.refresh(user)
        seen: set[str] = set()
        positives, t = 0, self.now - 3600.0
        for target in (1, 5):
            while positives < target:  # the user browses a random stream until they engage
                vid = str(self.rng.choice(self.world.video_ids))
                if vid in seen:
                    continue
                events, engaged = _react(self.rng, taste, self.world, user, vid, t)
                self.recommender.record_events(events)
                seen.add(vid)
                positives += engaged
                t += 10.0
            self.evaluate(f"new user, {target} event{'s' if target > 1 else ''}", user, gains, relevant, seen)
        self.rank_new_videos(user, gains, relevant)

    def rank_new_videos(self, user: str, gains: dict[str, float], relevant: set[str]) -> None:
        new_ids = self.world.new_ids
        new_gains = {v: gains[v] for v in new_ids}
        new_relevant = relevant & set(new_ids)
        scores = self.recommender.score_videos(user, new_ids, now=self.now)
        ranked = [new_ids[i] for i in np.argsort(-scores, kind="stable")]
        self.score(NEW_VIDEOS_SCENARIO, "reelsense", ranked, new_gains, new_relevant)
        self.score(NEW_VIDEOS_SCENARIO, "popularity", [v for v in self.popularity if v in new_gains], new_gains,
                   new_relevant)
        self.score(NEW_VIDEOS_SCENARIO, "random", list(self.rng.permutation(new_ids)), new_gains, new_relevant)

    def figures(self) -> dict[str, Any]:
        names = ("precision", "recall", "ndcg")
        return {scenario: {method: dict(zip(names, np.mean(vals, axis=0).round(4).tolist(), strict=True))
                           for method, vals in methods.items()} for scenario, methods in self.results.items()}


def simulate(recommender, world: World, cfg: SimulationConfig, now: float | None = None) -> dict[str, Any]:
    """Run the cold-start scenarios; returns {scenario: {method: {precision, recall, ndcg}}}."""
    sim = _Simulation(recommender, world, cfg, time.time() if now is None else now)
    sim.warm_up()
    for u in range(cfg.test_users):
        sim.test_user(u)
    return sim.figures()


def run_simulation(settings: Settings, cfg: SimulationConfig | None = None, text=None,
                   db_path: Path | None = None) -> dict[str, Any]:
    """Build a fresh synthetic store, run every scenario, return the figures."""
    from service.recommend.recommender import Recommender

    cfg = cfg or SimulationConfig()
    db_path = db_path or settings.data_dir / f"simulation-{cfg.seed}.db"
    db_path.unlink(missing_ok=True)
    store = Store(db_path)
    try:
        now = time.time()
        world = build_world(store, cfg, text, now)
        recommender = Recommender(store, settings, text=text)
        return simulate(recommender, world, cfg, now)
    finally:
        store.close()


def format_report(figures: dict[str, Any], k: int) -> str:
    lines = [f"{'scenario':<46} {'method':<11} P@{k:<5} R@{k:<5} NDCG@{k}"]
    for scenario, methods in figures.items():
        for method, m in methods.items():
            lines.append(f"{scenario:<46} {method:<11} {m['precision']:<7.3f} {m['recall']:<7.3f} {m['ndcg']:.3f}")
    return "\n".join(lines)
