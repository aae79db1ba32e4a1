"""The recommender facade: a feed is retrieve -> filter -> score -> diversify -> explore -> explain.

score(user, video) = sum_m sqrt(a_user,m * w_video,m) * cos(u_m, v_m)  -  negative term
where the first sum is exactly the per-modality `contributions` of the explanation. A user with no
signal at all is served the cold-start prior (popularity, freshness and stated tags).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.config import Settings
from service.errors import QueryError
from service.fusion import MODALITIES, FusedVector, compose, normalize_weights
from service.recommend import fitting
from service.recommend.catalogue import Catalogue, CatalogueCache, build_catalogue
from service.recommend.events import Event, validate_events
from service.recommend.explain import explain_item
from service.recommend.exposure import Exposure, exposure_of, popular_fresh
from service.recommend.interests import InterestEncoder
from service.recommend.profiles import UserProfile, build_profile, tag_label
from service.recommend.ranking import Caps, mmr, negative_penalty
from service.recommend.sounds import SoundAffinity, hidden_copies
from service.storage import Store

STATED_TAG_BOOST = 0.5  # cold-start users: weight of a stated tag match next to the popularity prior
SENSITIVE_TAG = "sensitive"  # the safety check's tag (extractors.visual.safety)


@dataclass
class Candidates:
    """Retrieved rows with their relevance (penalty already subtracted), penalty and the reason they are there."""

    rows: np.ndarray
    rel: np.ndarray
    penalty: np.ndarray
    reason: str


class Recommender:
    def __init__(self, store: Store, settings: Settings, text=None, visual=None):
        self.store = store
        self.settings = settings
        self.text = text
        self.visual = visual if settings.clip_text_search else None
        self.interests = InterestEncoder(text, self.visual)
        self._cache = CatalogueCache(self._build_catalogue, settings.index_exact_max)
        self._sensitive_rows: tuple[Catalogue, np.ndarray] | None = None

    # -- catalogue -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        return self._cache.get()

    def invalidate(self) -> None:
        """The store's videos changed (see CatalogueCache.invalidate)."""
        self._cache.invalidate()

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        self._cache.wait_for_rebuild(timeout)

    def _build_catalogue(self) -> Catalogue:
        rows = self.store.catalogue()
        if not rows:
            return Catalogue.empty()
        dims = self.store.get(rows[0]["id"]).fused.dims
        return build_catalogue(rows, dims, self.settings.index, self.interests.category_prototypes)

    def prior(self) -> dict[str, float]:
        """Global scoring weights: fitted by `reelsense fusion fit` when present, else the settings."""
        fitted = self.store.fusion_weights("global")
        if fitted:
            return normalize_weights(fitted["weights"])
        s = self.settings
        return normalize_weights({"text": s.modality_prior_text, "visual": s.modality_prior_visual,
                                  "audio": s.modality_prior_audio})

    # -- users -----------------------------------------------------------------------------------
    def record_events(self, events: list[Event]) -> int:
        """Validate the whole batch, then store it in one transaction (all or nothing)."""
        checked = validate_events(events, self.store.has)
        return self.store.add_events(e.row() for e in checked)

    def set_interests(self, user_id: str, text: str = "", tags: list[str] = ()) -> dict:
        """Cold-start onboarding: free text and/or taxonomy tags, mapped to categories and stored."""
        if not user_id:
            raise QueryError("missing_field", "user_id is required")
        weights = self.interests.tags(text or "", list(tags or ()))
        stated = [{"label": k, "score": v, "source": "stated"} for k, v in weights.items()]
        self.store.set_interests(user_id, text or "", stated)
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
        dims = cat.dims or {m: 0 for m in MODALITIES}
        onboarding = self.interests.onboarding(self.store.interests(user_id), dims)
        return build_profile(user_id, events, blocks, video_tags, dims, self.settings, self.prior(), cat.baseline,
                             onboarding, now)

    # -- the feed --------------------------------------------------------------------------------
    def recommend(self, user_id: str, k: int = 10, diversity: float | None = None,
                  now: float | None = None) -> list[dict]:
        """A personal feed of k videos, each with its score, rank and explanation."""
        if diversity is not None and not 0.0 <= diversity <= 1.0:
            raise QueryError("bad_diversity", f"diversity must be in [0, 1], got {diversity}")
        cat = self.catalogue()
        if k <= 0 or not cat.ids:
            return []
        profile = self.user_profile(user_id, now)
        now = time.time() if now is None else now
        exposure = exposure_of(self.store.video_event_counts(), cat.row, self.settings.exposure)
        excluded = self._excluded(profile, cat) | self._hidden_sensitive(user_id, cat) | hidden_copies(
            cat.ids, cat.row, self.store.duplicate_map(), exposure.engaged, profile.seen | profile.not_interested)
        sounds = SoundAffinity.of_user(self.store, self.store.events(user_id), self.settings.sound_affinity_weight,
                                       self.settings.sound_affinity_saturation)
        candidates = self._with_sounds(sounds, self._retrieve(profile, cat, exposure, excluded, now), profile, cat,
                                       excluded, now)
        n_explore = self._exploration_slots(k, exposure, excluded)
        lam = self.settings.mmr_lambda if diversity is None else 1.0 - diversity
        caps = Caps(self.settings.max_per_category, self.settings.max_per_creator)
        chosen = mmr(cat, candidates.rows, candidates.rel, k - n_explore, lam, caps)
        picked = [(int(candidates.rows[j]), float(candidates.rel[j]), float(candidates.penalty[j]), candidates.reason)
                  for j in chosen]
        if n_explore:
            self._explore(picked, profile, cat, exposure, excluded, n_explore, k, now)
        return sounds.explain([explain_item(cat, profile.positive, i, score, rank + 1, reason, pen,
                                            profile.interest_tags, exposure.stages[i])
                               for rank, (i, score, pen, reason) in enumerate(picked[:k])])

    def _with_sounds(self, sounds: SoundAffinity, candidates: Candidates, profile: UserProfile, cat: Catalogue,
                     excluded: np.ndarray, now: float) -> Candidates:
        """Candidates with the newest videos of the user's liked sounds added and each one's sound boost."""
        penalty_of = dict(zip(candidates.rows.tolist(), candidates.penalty.tolist(), strict=True))
        rows, rel, _ = sounds.apply(self.store, cat.ids, candidates.rows, candidates.rel,
                                    lambda extra: self._content_scores(profile, cat, extra, now))
        keep = ~excluded[rows]
        rows, rel = rows[keep], rel[keep]
        penalty = np.array([penalty_of.get(int(r), 0.0) for r in rows])
        return Candidates(rows, rel, penalty, candidates.reason)

    @staticmethod
    def _excluded(profile: UserProfile, cat: Catalogue) -> np.ndarray:
        """Rows the user has seen or rejected: never shown again."""
        excluded = np.zeros(len(cat.ids), bool)
        for vid in profile.seen | profile.not_interested:
            if vid in cat.row:
                excluded[cat.row[vid]] = True
        return excluded

    def _hidden_sensitive(self, user_id: str, cat: Catalogue) -> np.ndarray:
        """Rows flagged sensitive (the "sensitive" tag of the safety check), unless the feeds filter is off or the
        user opted in. The one place the sensitive-content flag reaches the feed; search and similar are not
        user-specific and are left as they are."""
        if not self.settings.safety_filter_feeds or self.store.shows_sensitive(user_id):
            return np.zeros(len(cat.ids), bool)
        cached = self._sensitive_rows
        if cached is None or cached[0] is not cat:  # computed once per built catalogue, not per request
            cached = self._sensitive_rows = (cat, np.array([SENSITIVE_TAG in tags for tags in cat.tags], bool))
        return cached[1]

    def _retrieve(self, profile: UserProfile, cat: Catalogue, exposure: Exposure, excluded: np.ndarray,
                  now: float) -> Candidates:
        """Candidates by index search on the user's vector, or by the cold-start prior; seen rows removed."""
        pool = min(len(cat.ids), self.settings.candidate_pool + int(excluded.sum()))
        if profile.cold:
            rel_all = popular_fresh(exposure, cat.created_at, now)
            for label, w in profile.interest_tags.items():  # stated tags without a text encoder
                rel_all = rel_all + STATED_TAG_BOOST * w * np.array([t.get(label, 0.0) for t in cat.tags])
            rows = np.argsort(-rel_all, kind="stable")[:pool]
            rel, penalty, reason = rel_all[rows], np.zeros(len(rows)), "cold_start_user"
        else:
            hits = cat.index.search(profile.positive.vector, pool)
            rows = hits.rows
            penalty = negative_penalty(profile, cat, rows, self.settings.negative_penalty)
            rel = hits.scores.astype(float) - penalty
            reason = "personal" if profile.engaged_videos else "stated_interests"
        keep = ~excluded[rows]
        return Candidates(rows[keep], rel[keep], penalty[keep], reason)

    def _exploration_slots(self, k: int, exposure: Exposure, excluded: np.ndarray) -> int:
        share = self.settings.exploration_share
        wanted = round(k * share) if share > 0 else 0
        exploring = sum(1 for i, (_, status) in enumerate(exposure.stages) if status == "exploring" and not excluded[i])
        return min(wanted, exploring)

    def _explore(self, picked: list[tuple], profile: UserProfile, cat: Catalogue, exposure: Exposure,
                 excluded: np.ndarray, n_explore: int, k: int, now: float) -> None:
        """Insert the best-scoring videos still in exploration at evenly spaced feed positions."""
        taken = {r for r, *_ in picked}
        candidates = [i for i, (_, status) in enumerate(exposure.stages)
                      if status == "exploring" and not excluded[i] and i not in taken]
        scores = self._content_scores(profile, cat, np.array(candidates, int), now, exposure)
        order = np.argsort(-scores, kind="stable")[:n_explore]
        step = max(1, k // max(n_explore, 1))
        for n, j in enumerate(order):
            i = candidates[int(j)]
            pen = 0.0 if profile.cold else float(
                negative_penalty(profile, cat, np.array([i]), self.settings.negative_penalty)[0])
            picked.insert(min(len(picked), (n + 1) * step - 1), (i, float(scores[j]), pen, "exploration"))

    def score_videos(self, user_id: str, video_ids: list[str], now: float | None = None) -> np.ndarray:
        """Content scores of given videos for a user (no exclusion, no diversity): evaluation uses this."""
        cat = self.catalogue()
        profile = self.user_profile(user_id, now)
        rows = np.array([cat.row[v] for v in video_ids], int)
        return self._content_scores(profile, cat, rows, time.time() if now is None else now)

    def _content_scores(self, profile: UserProfile, cat: Catalogue, rows: np.ndarray, now: float,
                        exposure: Exposure | None = None) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        if profile.cold:
            exposure = exposure or exposure_of(self.store.video_event_counts(), cat.row, self.settings.exposure)
            return popular_fresh(exposure, cat.created_at, now)[rows]
        penalty = negative_penalty(profile, cat, rows, self.settings.negative_penalty)
        return cat.matrix[rows] @ profile.positive.vector - penalty

    # -- item to item and text search ------------------------------------------------------------
    def similar(self, video_id: str, k: int = 10) -> list[dict]:
        cat = self.catalogue()
        if video_id not in cat.row:
            raise QueryError("not_indexed", f"video {video_id} is stored but not yet in the index; try again shortly")
        i = cat.row[video_id]
        query = FusedVector(cat.matrix[i], {}, cat.dims)
        hits = cat.index.search(cat.matrix[i], k + 1)
        items = [(int(r), float(sc)) for r, sc in zip(hits.rows, hits.scores, strict=True) if int(r) != i][:k]
        return [explain_item(cat, query, r, sc, n + 1, "similar", 0.0, cat.tags[i]) for n, (r, sc) in enumerate(items)]

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
        clip_vec = self.interests.clip_text([query])
        if clip_vec is not None and cat.dims["visual"] == clip_vec.size:
            vectors["visual"] = clip_vec
        q = compose(vectors, self.prior(), cat.dims)
        hits = cat.index.search(q.vector, k)
        words = [tag_label(w) for w in re.findall(r"\w+", query)]
        matched = self.interests.tags(query, words) | {w: 1.0 for w in words}
        return [explain_item(cat, q, int(r), float(sc), n + 1, "search", 0.0, matched)
                for n, (r, sc) in enumerate(zip(hits.rows, hits.scores, strict=True))]

    # -- fitting ---------------------------------------------------------------------------------
    def fusion_samples(self, users: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return fitting.fusion_samples(self.store, self.catalogue(), self.settings, users)

    def fit_fusion(self, holdout: float = 0.2, min_samples: int = 20) -> dict[str, Any]:
        return fitting.fit_fusion(self.store, self.catalogue(), self.settings, self.prior(), holdout, min_samples)
