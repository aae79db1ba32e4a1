"""Content-filtering recommender: user-weighted cosine scores, negative feedback, staged exposure of new
videos, MMR diversity with category/creator caps, exploration slots, and an explanation per item.

score(user, video) = sum_m sqrt(a_user,m * w_video,m) * cos(u_m, v_m)  -  negative term
where the first sum is exactly the per-modality `contributions`. The catalogue (fused matrix, tags,
categories, index) is built lazily from the store and rebuilt after `invalidate()`.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from extractors.taxonomy import load_taxonomy
from service.config import Settings
from service.errors import QueryError
from service.fusion import MODALITIES, FusedVector, compose, normalize_weights, unit_blocks
from service.index import build_index
from service.profiles import Event, Onboarding, UserProfile, build_profile, tag_label, validate_events
from service.storage import Store

ENGAGEMENTS = ("like", "share", "comment", "follow", "complete_view")
CATEGORY_SOURCES = ("category", "clip")  # tag sources that classify a video into the taxonomy
CATEGORY_MIN_COSINE = 0.25  # below this a text is not about any taxonomy category
PHRASE_SPLIT = re.compile(r"[,;/\n]|\band\b|\bor\b|&", re.IGNORECASE)


@dataclass
class Catalogue:
    """Everything the matcher needs about the stored videos, rebuilt from SQLite on demand."""

    ids: list[str]
    row: dict[str, int]
    matrix: np.ndarray  # fused vectors, one row per video
    dims: dict[str, int]
    blocks: dict[str, np.ndarray]  # per-modality unit vectors [n, dim_m]
    tags: list[dict[str, float]]  # normalised tag label -> score
    category: list[str]
    creators: list[str]
    created_at: np.ndarray
    baseline: dict[str, float]  # length of the catalogue's mean unit vector per modality
    index: Any

    def video_blocks(self, vid: str) -> dict[str, np.ndarray]:
        i = self.row[vid]
        return {m: self.blocks[m][i] for m in MODALITIES if self.dims[m] and np.any(self.blocks[m][i])}


def exposure_stage(exposures: int, engaged: int, stages: list[int], thresholds: list[float]) -> tuple[int, str]:
    """(stage, status) of a video under staged exposure.

    Stage s has a cumulative impression budget stages[s]. While exposures are under it the video is
    "exploring"; at the budget its engagement rate must reach thresholds[s] to be promoted to stage s+1,
    otherwise it is "retired" from exploration. Past the last stage it is "established".
    """
    rate = engaged / exposures if exposures else 0.0
    for s, budget in enumerate(stages):
        if exposures < budget:
            return s, "exploring"
        threshold = thresholds[min(s, len(thresholds) - 1)] if thresholds else 0.0
        if rate < threshold:
            return s, "retired"
    return len(stages), "established"


class Recommender:
    def __init__(self, store: Store, settings: Settings, text=None, visual=None):
        self.store = store
        self.settings = settings
        self.text = text
        self.visual = visual
        self._lock = threading.RLock()
        self._catalogue: Catalogue | None = None
        self._generation = 0  # bumped by every invalidate(); a background build checks it when done
        self._rebuilder: threading.Thread | None = None
        self._onboarding_cache: dict[tuple, Onboarding] = {}

    # -- catalogue -------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """The store's videos changed. A small catalogue (exact search) is rebuilt on the next request; a large
        one (an HNSW build takes seconds to minutes) keeps serving while a background thread rebuilds it."""
        with self._lock:
            self._generation += 1
            current = self._catalogue
            if current is None or len(current.ids) <= self.settings.index_exact_max:
                self._catalogue = None
            elif self._rebuilder is None:
                self._rebuilder = threading.Thread(target=self._rebuild, name="catalogue-rebuild", daemon=True)
                self._rebuilder.start()

    def _rebuild(self) -> None:
        """Build catalogues until one is current (invalidations may arrive during a build), then swap it in."""
        while True:
            with self._lock:
                generation = self._generation
            fresh = self._build_catalogue()
            with self._lock:
                self._catalogue = fresh
                if generation == self._generation:
                    self._rebuilder = None
                    return

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Block until a background rebuild (if any) has finished; for tests and orderly shutdown."""
        thread = self._rebuilder
        if thread is not None:
            thread.join(timeout)

    def catalogue(self) -> Catalogue:
        with self._lock:
            if self._catalogue is None:
                self._catalogue = self._build_catalogue()
            return self._catalogue

    def _build_catalogue(self) -> Catalogue:
        rows = self.store.catalogue()
        s = self.settings
        if not rows:
            empty = {m: 0 for m in MODALITIES}
            return Catalogue([], {}, np.zeros((0, 0), np.float32), empty, {}, [], [], [], np.zeros(0), {}, None)
        ids = [r["id"] for r in rows]
        matrix = np.stack([r["fused"] for r in rows]).astype(np.float32)
        dims = self.store.get(ids[0]).fused.dims
        blocks = unit_blocks(matrix, dims)
        baseline = {}
        for m in MODALITIES:
            present = blocks[m][np.any(blocks[m] != 0, axis=1)] if dims[m] else np.zeros((0, 0))
            baseline[m] = float(np.linalg.norm(present.mean(axis=0))) if len(present) else 0.0
        text_categories = self._categorize_rows(blocks["text"]) if dims["text"] else [None] * len(ids)
        tags, categories = [], []
        for r, text_cat in zip(rows, text_categories):
            t: dict[str, float] = {}
            classified: dict[str, float] = {}
            for tag in r["tags"]:
                label = tag_label(tag["label"])
                weight = float(tag["score"]) * (0.5 if tag.get("source") == "hashtag" else 1.0)
                t[label] = max(t.get(label, 0.0), weight)
                if tag.get("source") in CATEGORY_SOURCES:
                    classified[label] = max(classified.get(label, 0.0), weight)
            category = self._pick_category(classified, text_cat)
            if category:
                t[category] = max(t.get(category, 0.0), 1.0)
            tags.append(t)
            categories.append(category)
        index = build_index(matrix, s.index_exact_max, s.hnsw_m, s.hnsw_ef_construction, s.hnsw_ef_search)
        return Catalogue(ids, {v: i for i, v in enumerate(ids)}, matrix, dims, blocks, tags, categories,
                         [r["creator"] for r in rows], np.array([r["created_at"] for r in rows], float), baseline, index)

    def _pick_category(self, tags: dict[str, float], text_category: str | None) -> str:
        """The video's strongest taxonomy tag from a classifier (text or CLIP zero-shot), else the text's best
        category. Other tags whose label happens to be a category id (audio's "music") do not count."""
        ids = {c.id for c in load_taxonomy()}
        own = [(score, label) for label, score in tags.items() if label in ids]
        if own:
            return max(own)[1]
        return text_category or ""

    def _category_matrix(self) -> np.ndarray | None:
        """The text extractor's category prototypes (rows in taxonomy order), shared rather than re-embedded."""
        return None if self.text is None else self.text.categories.prototypes

    def _categorize_rows(self, text_blocks: np.ndarray) -> list[str | None]:
        cats = self._category_matrix()
        if cats is None or cats.shape[1] != text_blocks.shape[1]:
            return [None] * len(text_blocks)
        sims = text_blocks @ cats.T
        taxonomy = load_taxonomy()
        return [taxonomy[int(j)].id if np.any(row) and row[j] >= CATEGORY_MIN_COSINE else None
                for row, j in zip(sims, sims.argmax(axis=1))]

    # -- fusion weights --------------------------------------------------------------------------
    def prior(self) -> dict[str, float]:
        """Global scoring weights: fitted by `reelsense fusion fit` when present, else the settings."""
        fitted = self.store.fusion_weights("global")
        if fitted:
            return normalize_weights(fitted["weights"])
        s = self.settings
        return normalize_weights({"text": s.modality_prior_text, "visual": s.modality_prior_visual,
                                  "audio": s.modality_prior_audio})

    # -- events and profiles ---------------------------------------------------------------------
    def record_events(self, events: list[Event]) -> int:
        """Validate the whole batch, then store it in one transaction (all or nothing)."""
        checked = validate_events(events, self.store.has)
        return self.store.add_events(
            (e.user_id, e.video_id, e.type, float(e.timestamp), e.watch_seconds, e.completion) for e in checked
        )

    def set_interests(self, user_id: str, text: str = "", tags: list[str] = ()) -> dict:
        """Cold-start onboarding: free text and/or taxonomy tags, mapped to categories and stored."""
        if not user_id:
            raise QueryError("missing_field", "user_id is required")
        weights = self._interest_tags(text or "", list(tags or ()))
        self.store.set_interests(user_id, text or "", [{"label": k, "score": v, "source": "stated"} for k, v in weights.items()])
        return self.profile(user_id)

    def profile(self, user_id: str) -> dict:
        return self.user_profile(user_id).to_dict()

    def refresh(self, user_id: str) -> None:
        """Delete the user's history and stated interests: the next feed is cold-start again."""
        self.store.delete_user(user_id)

    def user_profile(self, user_id: str, now: float | None = None) -> UserProfile:
        cat = self.catalogue()
        events = self.store.events(user_id)
        blocks = {vid: cat.video_blocks(vid) for vid in {e[1] for e in events} if vid in cat.row}
        video_tags = {vid: cat.tags[cat.row[vid]] for vid in blocks}
        prior = self.prior()
        return build_profile(user_id, events, blocks, video_tags, cat.dims or {m: 0 for m in MODALITIES},
                             self.settings, prior, cat.baseline, self._onboarding(user_id, cat), now)

    def _interest_tags(self, text: str, tags: list[str]) -> dict[str, float]:
        """Taxonomy ids (given, or the best category of each free-text phrase) with weights."""
        taxonomy = load_taxonomy()
        by_name = {c.id: c.id for c in taxonomy} | {c.label.lower(): c.id for c in taxonomy}
        out: dict[str, float] = {}
        phrases = [p.strip() for p in PHRASE_SPLIT.split(text) if re.search(r"\w", p)]
        for t in tags:
            label = tag_label(str(t))
            if label in by_name:
                out[by_name[label]] = 1.0
            elif label:
                phrases.append(label)
        cats = self._category_matrix()
        if phrases and cats is not None:
            sims = self.text.embed(phrases) @ cats.T
            for row in sims:
                j = int(row.argmax())
                if row[j] >= CATEGORY_MIN_COSINE:
                    out[taxonomy[j].id] = max(out.get(taxonomy[j].id, 0.0), float(row[j]))
        return out

    def _onboarding(self, user_id: str, cat: Catalogue) -> Onboarding | None:
        stated = self.store.interests(user_id)
        if stated is None:
            return None
        text, tags = stated
        tag_weights = {t["label"]: float(t["score"]) for t in tags}
        key = (text, tuple(sorted(tag_weights.items())))
        if key not in self._onboarding_cache:
            vectors: dict[str, np.ndarray] = {}
            taxonomy = {c.id: c for c in load_taxonomy()}
            sentences = [p.strip() for p in PHRASE_SPLIT.split(text) if re.search(r"\w", p)]
            sentences += [taxonomy[t].prompt for t in tag_weights if t in taxonomy]
            if sentences and self.text is not None and cat.dims.get("text") == self.text.dim:
                vectors["text"] = self.text.embed(sentences).mean(axis=0)
            clip_vec = self._clip_text(sentences) if sentences else None
            if clip_vec is not None and cat.dims.get("visual") == clip_vec.size:
                vectors["visual"] = clip_vec
            self._onboarding_cache[key] = Onboarding(text, tag_weights, vectors)
        return self._onboarding_cache[key]

    def _clip_text(self, sentences: list[str]) -> np.ndarray | None:
        """CLIP text-tower embedding for the visual part of a query, when CLIP weights are loaded."""
        if self.visual is None or not self.settings.clip_text_search:
            return None
        vectors = self.visual.embed_text(sentences)
        return None if vectors is None else vectors.mean(axis=0)

    # -- statistics of exposure ------------------------------------------------------------------
    def _exposure(self, cat: Catalogue) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        counts = self.store.video_event_counts()
        n = len(cat.ids)
        exposures, engaged = np.zeros(n), np.zeros(n)
        for vid, c in counts.items():
            i = cat.row.get(vid)
            if i is None:
                continue
            exposures[i] = max(c.get("impression", 0), c.get("view", 0) + c.get("skip", 0))
            engaged[i] = sum(c.get(k, 0) for k in ENGAGEMENTS)
            exposures[i] = max(exposures[i], engaged[i])
        s = self.settings
        stages = [exposure_stage(int(e), int(g), list(s.exposure_stages), list(s.exposure_thresholds))
                  for e, g in zip(exposures, engaged)]
        return exposures, engaged, stages

    def _popular_fresh(self, cat: Catalogue, exposures: np.ndarray, engaged: np.ndarray, now: float) -> np.ndarray:
        """Cold-start score: smoothed engagement rate times reach, plus a freshness bonus, both in [0, 1]."""
        pop = (engaged + 1.0) / (exposures + 20.0) * np.log1p(engaged + 1.0)
        pop = pop / pop.max() if pop.max() > 0 else pop
        age_days = np.maximum(0.0, now - cat.created_at) / 86400.0
        fresh = 0.5 ** (age_days / 2.0)
        return 0.75 * pop + 0.25 * fresh

    # -- recommendation --------------------------------------------------------------------------
    def recommend(self, user_id: str, k: int = 10, diversity: float | None = None, now: float | None = None) -> list[dict]:
        """A personal feed of k videos, each with its score, rank and explanation."""
        if k <= 0:
            return []
        if diversity is not None and not 0.0 <= diversity <= 1.0:
            raise QueryError("bad_diversity", f"diversity must be in [0, 1], got {diversity}")
        s = self.settings
        explicit_now = now is not None
        now = time.time() if now is None else now
        cat = self.catalogue()
        if not cat.ids:
            return []
        profile = self.user_profile(user_id, now if explicit_now else None)
        exposures, engaged, stages = self._exposure(cat)
        excluded = np.zeros(len(cat.ids), bool)
        for vid in profile.seen | profile.not_interested:
            if vid in cat.row:
                excluded[cat.row[vid]] = True
        pool = min(len(cat.ids), s.candidate_pool + int(excluded.sum()))
        if profile.cold:
            rel_all = self._popular_fresh(cat, exposures, engaged, now)
            for label, w in profile.interest_tags.items():  # stated tags without a text encoder
                rel_all = rel_all + 0.5 * w * np.array([t.get(label, 0.0) for t in cat.tags])
            rows = np.argsort(-rel_all, kind="stable")[:pool]
            rel = rel_all[rows]
            penalty = np.zeros(len(rows))
            reason = "cold_start_user"
        else:
            hits = cat.index.search(profile.positive.vector, pool)
            rows, rel = hits.rows, hits.scores.astype(float)
            penalty = self._negative_penalty(profile, cat, rows)
            rel = rel - penalty
            reason = "personal" if profile.engaged_videos else "stated_interests"
        keep = ~excluded[rows]
        rows, rel, penalty = rows[keep], rel[keep], penalty[keep]

        n_explore = int(round(k * s.exploration_share)) if s.exploration_share > 0 else 0
        explore_rows = [i for i, (_, status) in enumerate(stages) if status == "exploring" and not excluded[i]]
        n_explore = min(n_explore, len(explore_rows))
        lam = s.mmr_lambda if diversity is None else 1.0 - diversity
        chosen = self._mmr(cat, rows, rel, k - n_explore, lam)
        picked = [(int(rows[j]), float(rel[j]), float(penalty[j]), reason) for j in chosen]
        if n_explore:
            taken = {r for r, *_ in picked}
            candidates = [i for i in explore_rows if i not in taken]
            scores = self._content_scores(profile, cat, np.array(candidates, int), now)
            order = np.argsort(-scores, kind="stable")[:n_explore]
            step = max(1, k // max(n_explore, 1))
            for n, j in enumerate(order):
                pos = min(len(picked), (n + 1) * step - 1)
                i = candidates[int(j)]
                pen = float(self._negative_penalty(profile, cat, np.array([i]))[0]) if not profile.cold else 0.0
                picked.insert(pos, (i, float(scores[j]), pen, "exploration"))
        return [self._item(cat, profile.positive, i, score, rank + 1, reason, pen, profile.interest_tags, stages[i])
                for rank, (i, score, pen, reason) in enumerate(picked[:k])]

    def score_videos(self, user_id: str, video_ids: list[str], now: float | None = None) -> np.ndarray:
        """Content scores of given videos for a user (no exclusion, no diversity): evaluation uses this."""
        cat = self.catalogue()
        profile = self.user_profile(user_id, now)
        rows = np.array([cat.row[v] for v in video_ids], int)
        return self._content_scores(profile, cat, rows, time.time() if now is None else now)

    def _content_scores(self, profile: UserProfile, cat: Catalogue, rows: np.ndarray, now: float) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        if profile.cold:
            exposures, engaged, _ = self._exposure(cat)
            return self._popular_fresh(cat, exposures, engaged, now)[rows]
        return cat.matrix[rows] @ profile.positive.vector - self._negative_penalty(profile, cat, rows)

    def _negative_penalty(self, profile: UserProfile, cat: Catalogue, rows: np.ndarray) -> np.ndarray:
        """penalty * (similarity to the negative vector + weight of a rejected category)."""
        out = np.zeros(len(rows))
        if profile.negative is not None:
            out += np.maximum(cat.matrix[rows] @ profile.negative.vector, 0.0)
        if profile.negative_tags:
            out += np.array([profile.negative_tags.get(cat.category[i], 0.0) for i in rows])
        return self.settings.negative_penalty * out

    def _mmr(self, cat: Catalogue, rows: np.ndarray, rel: np.ndarray, n: int, lam: float) -> list[int]:
        """Maximal marginal relevance with per-category and per-creator caps (relaxed if they starve the feed)."""
        if n <= 0 or len(rows) == 0:
            return []
        vecs = cat.matrix[rows]
        sims = vecs @ vecs.T
        chosen: list[int] = []
        max_sim = np.full(len(rows), -np.inf)
        per_cat: dict[str, int] = {}
        per_creator: dict[str, int] = {}
        s = self.settings
        for capped in (True, False):
            while len(chosen) < n:
                best, best_val = -1, -np.inf
                for j in range(len(rows)):
                    if j in chosen:
                        continue
                    i = rows[j]
                    if capped and ((cat.category[i] and per_cat.get(cat.category[i], 0) >= s.max_per_category)
                                   or (cat.creators[i] and per_creator.get(cat.creators[i], 0) >= s.max_per_creator)):
                        continue
                    div = max_sim[j] if chosen else 0.0
                    val = lam * rel[j] - (1.0 - lam) * div
                    if val > best_val:
                        best, best_val = j, val
                if best < 0:
                    break
                chosen.append(best)
                max_sim = np.maximum(max_sim, sims[best])
                i = rows[best]
                per_cat[cat.category[i]] = per_cat.get(cat.category[i], 0) + 1
                per_creator[cat.creators[i]] = per_creator.get(cat.creators[i], 0) + 1
        return chosen

    def _item(self, cat: Catalogue, query: FusedVector | None, i: int, score: float, rank: int, reason: str,
              penalty: float, interests: dict[str, float], stage: tuple[int, str] | None = None) -> dict:
        contributions = {m: 0.0 for m in MODALITIES}
        if query is not None:
            start = 0
            for m in MODALITIES:
                d = cat.dims[m]
                contributions[m] = round(float(query.vector[start : start + d] @ cat.matrix[i, start : start + d]), 6)
                start += d
        tags = cat.tags[i]
        matched = sorted((t for t in tags if t in interests), key=lambda t: -interests[t])[:5]
        explanation: dict[str, Any] = {
            "contributions": contributions,
            "matched_tags": matched,
            "reason": reason,
            "category": cat.category[i],
            "negative_penalty": round(penalty, 6),
        }
        if query is not None:
            explanation["user_weights"] = {m: round(w, 4) for m, w in query.weights.items()}
        if stage is not None:
            explanation["stage"] = {"stage": stage[0], "status": stage[1]}
        return {"video_id": cat.ids[i], "score": round(float(score), 6), "rank": rank, "explanation": explanation}

    # -- item to item and text search ------------------------------------------------------------
    def similar(self, video_id: str, k: int = 10) -> list[dict]:
        cat = self.catalogue()
        if video_id not in cat.row:
            raise QueryError("not_indexed", f"video {video_id} is stored but not yet in the index; try again shortly")
        i = cat.row[video_id]
        query = FusedVector(cat.matrix[i], {}, cat.dims)
        hits = cat.index.search(cat.matrix[i], k + 1)
        items = [(int(r), float(sc)) for r, sc in zip(hits.rows, hits.scores) if int(r) != i][:k]
        return [self._item(cat, query, r, sc, n + 1, "similar", 0.0, cat.tags[i]) for n, (r, sc) in enumerate(items)]

    def search(self, query: str, k: int = 10) -> list[dict]:
        if not query or not query.strip():
            raise QueryError("empty_query", "the search query is empty")
        if self.text is None:
            raise QueryError("no_text_model", "text search needs the text encoder")
        cat = self.catalogue()
        if not cat.ids:
            return []
        if cat.dims["text"] != self.text.dim:
            raise QueryError("space_mismatch", "the store's text vectors come from another text model; re-index")
        vectors = {"text": self.text.embed([query])[0]}
        clip_vec = self._clip_text([query])
        if clip_vec is not None and cat.dims["visual"] == clip_vec.size:
            vectors["visual"] = clip_vec
        q = compose(vectors, self.prior(), cat.dims)
        hits = cat.index.search(q.vector, k)
        interests = self._interest_tags(query, [tag_label(w) for w in re.findall(r"\w+", query)])
        interests.update({tag_label(w): 1.0 for w in re.findall(r"\w+", query)})
        return [self._item(cat, q, int(r), float(sc), n + 1, "search", 0.0, interests)
                for n, (r, sc) in enumerate(zip(hits.rows, hits.scores))]

    # -- fitting the global modality weights -------------------------------------------------------
    def fusion_samples(self, users: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(parts [n, 3], labels [n], timestamps [n]): for every (user, video) pair, the per-modality score of
        the video against the user's profile built from strictly earlier events, and whether the user engaged."""
        from service.profiles import signal

        cat = self.catalogue()
        parts, labels, times = [], [], []
        uniform = {m: 1.0 for m in MODALITIES}
        for user in users if users is not None else self.store.users():
            events = self.store.events(user)
            first_ts: dict[str, float] = {}
            total: dict[str, float] = {}
            for _u, vid, kind, ts, _w, completion in events:
                first_ts.setdefault(vid, ts)
                total[vid] = total.get(vid, 0.0) + signal(kind, completion, self.settings)
            for vid, ts in first_ts.items():
                if vid not in cat.row:
                    continue
                history = [e for e in events if e[3] < ts]
                blocks = {v: cat.video_blocks(v) for v in {e[1] for e in history} if v in cat.row}
                prof = build_profile(user, history, blocks, {}, cat.dims, self.settings, uniform, cat.baseline,
                                     now=ts, onboarding=None)
                if prof.positive is None:
                    continue
                i = cat.row[vid]
                row, start = [], 0
                for m in MODALITIES:
                    d = cat.dims[m]
                    u = prof.positive.vector[start : start + d]
                    un = float(np.linalg.norm(u))
                    row.append(float(u @ cat.matrix[i, start : start + d]) / un if un > 0 else 0.0)
                    start += d
                parts.append(row)
                labels.append(total[vid] > self.settings.signal_view_base + 1e-9)
                times.append(ts)
        return np.array(parts).reshape(-1, len(MODALITIES)), np.array(labels, bool), np.array(times)

    def fit_fusion(self, holdout: float = 0.2, min_samples: int = 20) -> dict[str, Any]:
        """Learn the global modality weights from recorded events, keep them in the store, report held-out gain.

        The latest `holdout` share of (user, video) pairs by time is held out; the gain is the held-out
        AUC of the fitted weights minus that of the weights in force before the fit.
        """
        from service.fusion import auc, fit_modality_weights, weighted_scores

        parts, labels, times = self.fusion_samples()
        if len(labels) < min_samples or labels.all() or not labels.any():
            raise QueryError("not_enough_events", f"need at least {min_samples} (user, video) pairs with both engaged "
                             f"and not-engaged outcomes after a first positive event; have {len(labels)}")
        order = np.argsort(times, kind="stable")
        cut = int(round(len(order) * (1.0 - holdout)))
        train, test = order[:cut], order[cut:]
        before = self.prior()
        fitted = fit_modality_weights(parts[train], labels[train])
        report = {
            "weights": {m: round(w, 4) for m, w in fitted.items()},
            "previous_weights": {m: round(w, 4) for m, w in before.items()},
            "train_pairs": int(len(train)), "heldout_pairs": int(len(test)),
            "heldout_auc": round(auc(weighted_scores(parts[test], fitted), labels[test]), 4),
            "heldout_auc_previous": round(auc(weighted_scores(parts[test], before), labels[test]), 4),
        }
        report["gain"] = round(report["heldout_auc"] - report["heldout_auc_previous"], 4)
        fit_settings = {"holdout": holdout, "signal_view_base": self.settings.signal_view_base,
                        "profile_half_life_days": self.settings.profile_half_life_days}
        self.store.save_fusion_weights("global", fitted, fit_settings, report)
        return report
