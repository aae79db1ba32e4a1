"""The recommender facade: a feed is retrieve -> filter -> score -> diversify -> explore -> explain.

score(user, video) = sum_m sqrt(a_user,m * w_video,m) * cos(u_m, v_m)  -  negative term
where the first sum is exactly the per-modality `contributions` of the explanation. A user with no
signal at all is served the cold-start prior (popularity, freshness and stated tags).

No request scans the events or the catalogue: the user's state and the per-video counters are maintained
as events are stored, retrieval is one index search (or a precomputed pool), and every later stage works on
the few hundred candidates. Requests run in parallel threads, each with its own store connection.
"""
from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from service.config import Settings
from service.errors import QueryError, SpaceMismatchError
from service.evaluation import fitting
from service.fusion import FusedVector, compose, normalize_weights
from service.recommend.catalogue import Catalogue
from service.recommend.cofold import combined, online_co
from service.recommend.collaborative import CoEngagement
from service.recommend.events import Event, check_user_id, validate_events
from service.recommend.explain import bare_item, brief_item, check_level, top_modalities
from service.recommend.feed import Feed
from service.recommend.groupcommit import GroupCommit
from service.recommend.hybrid import BLEND_NAME, Blend
from service.recommend.interests import InterestEncoder
from service.recommend.live import LiveCatalogue
from service.recommend.loading import empty_catalogue
from service.recommend.profiles import UserProfile, profile_from_state, tag_label
from service.recommend.sounds import SoundAffinity
from service.recommend.updates import apply_events, current_state
from service.storage import Store
from service.storage.threads import ThreadStores


class Recommender:
    def __init__(self, store: Store, settings: Settings, text=None, visual=None):
        self.store = store  # the creating thread's connection; other threads get their own (see `db`)
        self.settings = settings
        self.text = text
        self.visual = visual if settings.clip_text_search else None
        self.interests = InterestEncoder(text, self.visual)
        self._stores = ThreadStores(store)
        self.live = LiveCatalogue(self.db, settings, lambda: self.interests.category_prototypes)
        self.events_writer = GroupCommit(self._store_events)  # concurrent POST /events share a transaction

    def db(self) -> Store:
        """The calling thread's store connection."""
        return self._stores.current()

    # -- the live catalogue (recommend/live.py); the server's own writes announce themselves here ----
    def catalogue(self) -> Catalogue:
        return self.live.catalogue()

    def video_added(self, video_id: str) -> None:
        """A stored video becomes visible to feeds, search and similar (index insert, no rebuild)."""
        self.live.videos_added([video_id])

    def video_deleted(self, video_id: str) -> None:
        """A deleted video leaves feeds, search and similar at once."""
        self.live.video_deleted(video_id)

    def save_index(self) -> None:
        """Persist the HNSW index next to the store (at shutdown, after an import)."""
        self.live.save()

    def prior(self) -> dict[str, float]:
        """Global scoring weights: fitted by `reelsense fusion fit` when present, else the settings."""
        fitted = self.db().fusion_weights("global")
        if fitted:
            return normalize_weights(fitted["weights"])
        s = self.settings
        return normalize_weights({"text": s.modality_prior_text, "visual": s.modality_prior_visual,
                                  "audio": s.modality_prior_audio})

    def blend(self) -> Blend:
        """Hybrid blend weights: fitted by `reelsense fit` when present, else the documented defaults."""
        fitted = self.db().fusion_weights(BLEND_NAME)
        return Blend.from_flat(fitted["weights"]) if fitted else Blend()

    # -- users -----------------------------------------------------------------------------------
    def record_events(self, events: list[Event]) -> int:
        """Validate the whole batch, then store it with the counters and user states in one transaction (shared
        with batches posted at the same time: recommend/groupcommit.py)."""
        db = self.db()
        cat = self.catalogue()
        checked = validate_events(events, lambda v: v in cat.row or db.has(v))
        rows = [e.row() for e in checked]
        n = self.events_writer.submit(rows)
        self.live.counters_changed({r[1] for r in rows})
        return n

    def _store_events(self, rows: list[tuple]) -> int:
        """One transaction: the events, their counters, the users' states and the co-engagement table."""
        return self.db().add_events(rows, apply=lambda session, batch: apply_events(session, batch, self.settings))

    def set_interests(self, user_id: str, text: str = "", tags: list[str] = ()) -> dict:
        """Cold-start onboarding: free text and/or taxonomy tags, mapped to categories and stored."""
        if not user_id:
            raise QueryError("missing_field", "user_id is required")
        check_user_id(user_id)
        weights = self.interests.tags(text or "", list(tags or ()))
        stated = [{"label": k, "score": v, "source": "stated"} for k, v in weights.items()]
        self.db().set_interests(user_id, text or "", stated)
        return self.profile(user_id)

    def profile(self, user_id: str) -> dict:
        return self.user_profile(user_id).to_dict()

    def refresh(self, user_id: str, erase: bool = False) -> bool:
        """Delete the user's history, state and stated interests: the next feed is cold-start again; their
        events leave the per-video counters too. `erase` also deletes their content settings (every row keyed
        by the id). True when anything was stored."""
        db = self.db()
        videos = {e.video_id for e in db.events(user_id)}
        found = db.delete_user(user_id, erase=erase)
        self.live.counters_changed(videos)
        return found

    def rebuild_user(self, user_id: str) -> None:
        """Rebuild the user's state from their events (recovery; the next read does it for a stale state)."""
        from service.recommend.updates import rebuild

        db = self.db()
        with db.state_session() as session:
            rebuild(session, user_id, self.settings)

    def user_profile(self, user_id: str, now: float | None = None) -> UserProfile:
        cat = self.catalogue()
        db = self.db()
        state = current_state(db, user_id, self.settings)
        seen = db.history_slots(user_id) if state is not None else []
        onboarding = self.interests.onboarding(db.interests(user_id), cat.dims)
        return profile_from_state(user_id, state, seen, cat.dims, self.settings, self.prior(), cat.baseline,
                                  onboarding, now)

    # -- the feed --------------------------------------------------------------------------------
    def recommend(self, user_id: str, k: int = 10, diversity: float | None = None, now: float | None = None,
                  created_after: float | None = None, explain: str = "full") -> list[dict]:
        """A personal feed of k videos, each with its score, rank and explanation at the level `explain`
        (service.recommend.explain); `created_after` (unix seconds) ranks only videos stored after that time."""
        if diversity is not None and not 0.0 <= diversity <= 1.0:
            raise QueryError("bad_diversity", f"diversity must be in [0, 1], got {diversity}")
        check_level(explain)
        cat = self.catalogue()
        if k <= 0 or not len(cat):
            return []
        profile = self.user_profile(user_id, now)
        db, ranking = self.db(), self.settings.ranking
        hidden = self.live.hidden.slots(db, user_id, cat, profile.excluded_slots)
        sounds = SoundAffinity.of_user(db, db.events(user_id), ranking.sound_affinity_weight,
                                       ranking.sound_affinity_saturation)
        at = time.time() if now is None else now
        feed = Feed(cat, self.live.cold, profile, ranking, at, created_after, hidden, sounds, db, self.blend(),
                    self.collaborative(db, cat, profile, at))
        picked = feed.rank(k, diversity)
        if explain != "full":
            return _still_stored(feed.explain(picked, None, explain))
        tags = db.ranking_tags([cat.ids[i] for i, *_ in picked])
        return _still_stored(sounds.explain(feed.explain(picked, tags)))

    def score_videos(self, user_id: str, video_ids: list[str], now: float | None = None) -> np.ndarray:
        """Content scores of given videos for a user (no exclusion, no diversity): evaluation uses this."""
        cat = self.catalogue()
        profile = self.user_profile(user_id, now)
        rows = np.array([cat.row[v] for v in video_ids], np.int64)
        at = time.time() if now is None else now
        feed = Feed(cat, self.live.cold, profile, self.settings.ranking, at, None, blend=self.blend(),
                    co=self.collaborative(self.db(), cat, profile, at))
        return feed.content_scores(rows)

    def collaborative(self, db: Store, cat: Catalogue, profile: UserProfile, now: float) -> CoEngagement:
        """This request's item-item table: the online co-engagement neighbours of the user's engaged videos (one
        read of O(history x neighbours) rows, never the events), refined by the fitted table where `reelsense fit`
        stored one. A user with no engaged video gets the fitted table (stated interests expand through it)."""
        liked = profile.history_slots[profile.history_signal > 0]
        ids = [cat.ids[s] for s in liked.tolist() if cat.ids[s] is not None]
        if not ids:
            return cat.co
        opts = self.settings.co
        online = online_co(db.co_neighbours(ids, opts.co_neighbours, now, opts.half_life_s), cat.row, opts)
        return combined(online, cat.co, liked)

    # -- item to item and text search ------------------------------------------------------------
    def similar(self, video_id: str, k: int = 10, explain: str = "full") -> list[dict]:
        check_level(explain)
        cat = self.catalogue()
        if video_id not in cat.row:
            raise QueryError("not_indexed", f"video {video_id} is stored but not yet in the index; try again shortly")
        i = cat.row[video_id]
        vector = cat.rows(np.array([i]))[0]
        query = FusedVector(vector, {}, cat.dims)
        hits = cat.index.search(vector, k + 1)
        rows = hits.rows[(hits.rows != i) & cat.vectors.alive[hits.rows]][:k]
        scores = cat.vectors.scores(rows, vector)
        if explain != "full":
            return _light(cat, query, rows, scores, "similar", explain)
        tags = self.db().ranking_tags([video_id, *(cat.ids[r] for r in rows)])
        interests = tags.get(video_id, {})
        return _still_stored([Feed.item(cat, query, int(r), float(sc), n + 1, "similar", 0.0, interests,
                                        tags.get(cat.ids[r], {}))
                              for n, (r, sc) in enumerate(zip(rows, scores, strict=True))])

    def search(self, query: str, k: int = 10, explain: str = "full") -> list[dict]:
        check_level(explain)
        if not query or not query.strip():
            raise QueryError("empty_query", "the search query is empty")
        if self.text is None:
            raise QueryError("no_text_model", "text search needs the text encoder")
        cat = self.catalogue()
        if not len(cat):
            return []
        if cat.dims["text"] != self.text.dim:
            raise SpaceMismatchError("the store's text vectors come from another text model; re-index")
        vectors = {"text": self.text.embed([query])[0]}
        clip_vec = self.interests.clip_text([query])
        if clip_vec is not None and cat.dims["visual"] == clip_vec.size:
            vectors["visual"] = clip_vec
        q = compose(vectors, self.prior(), cat.dims)
        rows = cat.index.search(q.vector, k).rows
        scores = cat.vectors.scores(rows, q.vector)
        order = np.argsort(-scores, kind="stable")
        rows, scores = rows[order], scores[order]
        if explain != "full":
            return _light(cat, q, rows, scores, "search", explain)
        words = [tag_label(w) for w in re.findall(r"\w+", query)]
        matched = self.interests.tags(query, words) | {w: 1.0 for w in words}
        tags = self.db().ranking_tags([cat.ids[r] for r in rows])
        return _still_stored([Feed.item(cat, q, int(r), float(sc), n + 1, "search", 0.0, matched,
                                        tags.get(cat.ids[r], {}))
                              for n, (r, sc) in enumerate(zip(rows, scores, strict=True))])

    # -- fitting ---------------------------------------------------------------------------------
    def fusion_samples(self, users: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return fitting.fusion_samples(self.db(), self.catalogue(), self.settings, users)

    def fit_fusion(self, holdout: float = 0.2, min_samples: int = 20) -> dict[str, Any]:
        return fitting.fit_fusion(self.db(), self.catalogue(), self.settings, self.prior(), holdout, min_samples)

    def fit(self, holdout: float = 0.2, min_users: int = 20, seed: int = 0) -> dict[str, Any]:
        """`reelsense fit`: co-engagement and hybrid blend weights (service.evaluation.blendfit), then the global
        modality weights when there are enough (user, video) pairs; each part reports what it kept."""
        from service.evaluation.blendfit import fit_blend

        report = {"blend": fit_blend(self, holdout, min_users, seed)}
        try:
            report["modality_weights"] = self.fit_fusion(holdout)
        except QueryError as exc:
            report["modality_weights"] = {"status": f"defaults kept: {exc.message}"}
        return report

    def close(self) -> None:
        """Close the per-thread connections this recommender opened (the creator closes `store`)."""
        self._stores.close()


def _light(cat: Catalogue, query: FusedVector, rows: np.ndarray, scores: np.ndarray, reason: str,
           level: str) -> list[dict]:
    """Similar or search items explained `brief` (the top modality, all rows at once) or not at all."""
    if level == "false":
        return _still_stored([bare_item(cat.ids[r], sc, n + 1) for n, (r, sc) in enumerate(zip(rows.tolist(), scores,
                                                                                              strict=True))])
    tops = top_modalities(query, cat, rows)
    return _still_stored([brief_item(cat.ids[r], sc, n + 1, reason, top)
                          for n, (r, sc, top) in enumerate(zip(rows.tolist(), scores, tops, strict=True))])


def _still_stored(items: list[dict]) -> list[dict]:
    """The items whose video was not deleted while the answer was being built (a delete never waits for readers,
    so its slot may empty between ranking and explaining), ranked 1..n again."""
    kept = [item for item in items if item["video_id"] is not None]
    for rank, item in enumerate(kept, start=1):
        item["rank"] = rank
    return kept


__all__ = ["Recommender", "empty_catalogue"]
