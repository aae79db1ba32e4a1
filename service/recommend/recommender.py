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
import threading
import time
from typing import Any

import numpy as np

from service.config import Settings
from service.errors import QueryError
from service.evaluation import fitting
from service.fusion import FusedVector, compose, normalize_weights
from service.recommend.catalogue import Catalogue
from service.recommend.coldstart import ColdPools
from service.recommend.events import Event, check_user_id, validate_events
from service.recommend.feed import Feed
from service.recommend.hidden import HiddenRows
from service.recommend.hybrid import BLEND_NAME, Blend
from service.recommend.interests import InterestEncoder
from service.recommend.loading import empty_catalogue, load_catalogue, load_counters, save_catalogue
from service.recommend.profiles import UserProfile, profile_from_state, tag_label
from service.recommend.sounds import SoundAffinity
from service.recommend.updates import apply_events, current_state
from service.storage import Store
from service.storage.counters import ENGAGEMENTS
from service.storage.database import from_blob
from service.storage.threads import ThreadStores


class Recommender:
    def __init__(self, store: Store, settings: Settings, text=None, visual=None):
        self.store = store  # the creating thread's connection; other threads get their own (see `db`)
        self.settings = settings
        self.text = text
        self.visual = visual if settings.clip_text_search else None
        self.interests = InterestEncoder(text, self.visual)
        self.cold = ColdPools(settings.exposure, settings.cold_pool_size, refresh_s=settings.cold_pool_refresh_s,
                              half_life_days=settings.popularity_half_life_days)
        self._stores = ThreadStores(store)
        self._catalogue: Catalogue | None = None
        self._load_lock = threading.Lock()
        self._updates = threading.RLock()  # one catalogue update at a time (own writes and other processes')
        self.hidden = HiddenRows(settings.safety_filter_feeds)
        self.loaded_through = 0  # the store's newest change-log row when the catalogue was read

    def db(self) -> Store:
        """The calling thread's store connection."""
        return self._stores.current()

    # -- catalogue -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            with self._load_lock:
                if self._catalogue is None:
                    self._catalogue = self._load()
        return self._catalogue

    def _load(self) -> Catalogue:
        db = self.db()
        self.loaded_through = db.last_change()  # read first: a change during the load is applied again later
        return load_catalogue(db, self.settings, self.interests.category_prototypes)

    def reload(self) -> None:
        """Read the catalogue afresh and swap it in (its first videos gave it dims, or every vector changed);
        requests under way finish on the old one."""
        with self._updates, self._load_lock:
            catalogue = self._load()
            self.hidden = HiddenRows(self.settings.safety_filter_feeds)
            self.cold = ColdPools(self.settings.exposure, self.settings.cold_pool_size,
                                  refresh_s=self.settings.cold_pool_refresh_s,
                                  half_life_days=self.settings.popularity_half_life_days)
            self._catalogue = catalogue

    def invalidate(self) -> None:
        """The store's videos changed in ways not reported through `video_added`/`video_deleted` (or the change
        log was pruned before this process read it): reconcile the live catalogue with the store by slot (adds
        what is new, drops what is gone) and re-read every counter. O(catalogue): for recovery only."""
        with self._updates:
            cat = self.catalogue()
            stored = set(self.db().live_slots())
            for vid, slot in list(cat.row.items()):
                if slot not in stored:
                    cat.remove(vid)
            known = set(cat.row.values())
            new = sorted(stored - known)
            if new:
                self._add_slots(cat, self.db(), new[0], set(new))
            self.reload_counters()

    def save_index(self) -> None:
        """Persist the HNSW index next to the store (at shutdown, after an import)."""
        if self._catalogue is not None:
            save_catalogue(self._catalogue, self.db(), self.settings)

    # -- update paths: the server's own writes call these; a reader of other processes' writes can too --
    def video_added(self, video_id: str) -> None:
        """A stored video becomes visible to feeds, search and similar (index insert, no rebuild)."""
        self.videos_added([video_id])

    def videos_added(self, video_ids: list[str], index_threads: int = 1) -> None:
        """Stored videos become visible; ids already in the catalogue under their stored slot are skipped, so
        hearing of a video twice (own write, then the change log) is harmless."""
        db = self.db()
        with self._updates:
            cat = self.catalogue()  # under the lock: a reload may have just swapped it
            dims = db.dims()
            if dims is not None and len(cat) == 0 and cat.dims != dims:  # the first videos: now dims are known
                self.reload()
                return
            slots = {vid: slot for vid, slot in db.slots_of(video_ids).items() if cat.row.get(vid) != slot}
            for vid in slots:
                cat.remove(vid)  # stored again under a new slot after a delete
            if slots:
                self._add_slots(cat, db, min(slots.values()), set(slots.values()), index_threads)

    def _add_slots(self, cat: Catalogue, db: Store, slot_from: int, wanted: set[int], index_threads: int = 1) -> None:
        for rows in db.catalogue_rows(slot_from):
            rows = [r for r in rows if r[0] in wanted]
            if rows:
                slots = np.array([r[0] for r in rows], np.int64)
                cat.add_many(slots, [r[1] for r in rows], [r[2] for r in rows], np.array([r[3] for r in rows]),
                             [r[4] for r in rows], np.stack([from_blob(r[5]) for r in rows]), index_threads)
                self.cold.note_added(slots.tolist())
                self.hidden.note_added({int(r[0]): t for r, t in zip(rows, self._tags_of(db, rows), strict=True)})
                self.counters_changed([r[1] for r in rows])
            if rows and len(wanted) == len(rows):
                return

    @staticmethod
    def _tags_of(db: Store, rows: list[tuple]) -> list[dict[str, float]]:
        tags = db.ranking_tags([r[1] for r in rows])
        return [tags.get(r[1], {}) for r in rows]

    def video_deleted(self, video_id: str) -> None:
        """A deleted video leaves feeds, search and similar at once."""
        with self._updates:
            self.catalogue().remove(video_id)
            self.hidden.note_deleted()

    def categories_changed(self, video_ids: list[str]) -> None:
        """Re-read the stored category of these videos into the catalogue (idempotent)."""
        cat = self.catalogue()
        for vid, (slot, _fused, _tags, category) in self.db().ranking_info(video_ids).items():
            if cat.row.get(vid) == slot:
                cat.set_category(slot, category)

    def reload_counters(self) -> None:
        """Re-read every video's counters (they were rebuilt; O(catalogue))."""
        load_counters(self.catalogue(), self.db())

    def counters_changed(self, video_ids) -> None:
        """Re-read the counters of these videos into the catalogue (idempotent)."""
        cat = self.catalogue()
        counters = self.db().counters(sorted(set(video_ids)))
        known = [(cat.row[v], c) for v, c in counters.items() if v in cat.row]
        if not known:
            return
        slots = np.array([s for s, _ in known], np.int64)
        engaged = np.array([sum(c[k] for k in ENGAGEMENTS) for _, c in known], np.float32)
        exposures = np.array([max(c["impression"], c["view"] + c["skip"]) for _, c in known], np.float32)
        decayed = (np.array([c["engaged_decayed"] for _, c in known]), np.array([c["decay_ts"] for _, c in known]))
        cat.set_counters(slots, np.maximum(exposures, engaged), engaged, decayed)

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
        """Validate the whole batch, then store it with the counters and user states in one transaction."""
        db = self.db()
        cat = self.catalogue()
        checked = validate_events(events, lambda v: v in cat.row or db.has(v))
        rows = [e.row() for e in checked]
        n = db.add_events(rows, apply=lambda session, batch: apply_events(session, batch, self.settings))
        self.counters_changed({r[1] for r in rows})
        return n

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
        self.counters_changed(videos)
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
                  created_after: float | None = None) -> list[dict]:
        """A personal feed of k videos, each with its score, rank and explanation; `created_after` (unix
        seconds) ranks only videos stored after that time."""
        if diversity is not None and not 0.0 <= diversity <= 1.0:
            raise QueryError("bad_diversity", f"diversity must be in [0, 1], got {diversity}")
        cat = self.catalogue()
        if k <= 0 or not len(cat):
            return []
        profile = self.user_profile(user_id, now)
        db, s = self.db(), self.settings
        hidden = self.hidden.slots(db, user_id, cat, profile.excluded_slots)
        sounds = SoundAffinity.of_user(db, db.events(user_id), s.sound_affinity_weight, s.sound_affinity_saturation)
        feed = Feed(cat, self.cold, profile, s, time.time() if now is None else now, created_after, hidden, sounds, db,
                    self.blend())
        picked = feed.rank(k, diversity)
        tags = db.ranking_tags([cat.ids[i] for i, *_ in picked])
        return _still_stored(sounds.explain(feed.explain(picked, tags)))

    def score_videos(self, user_id: str, video_ids: list[str], now: float | None = None) -> np.ndarray:
        """Content scores of given videos for a user (no exclusion, no diversity): evaluation uses this."""
        cat = self.catalogue()
        profile = self.user_profile(user_id, now)
        rows = np.array([cat.row[v] for v in video_ids], np.int64)
        feed = Feed(cat, self.cold, profile, self.settings, time.time() if now is None else now, None,
                    blend=self.blend())
        return feed.content_scores(rows)

    # -- item to item and text search ------------------------------------------------------------
    def similar(self, video_id: str, k: int = 10) -> list[dict]:
        cat = self.catalogue()
        if video_id not in cat.row:
            raise QueryError("not_indexed", f"video {video_id} is stored but not yet in the index; try again shortly")
        i = cat.row[video_id]
        vector = cat.rows(np.array([i]))[0]
        query = FusedVector(vector, {}, cat.dims)
        hits = cat.index.search(vector, k + 1)
        rows = hits.rows[(hits.rows != i) & cat.vectors.alive[hits.rows]][:k]
        scores = cat.vectors.scores(rows, vector)
        tags = self.db().ranking_tags([video_id, *(cat.ids[r] for r in rows)])
        interests = tags.get(video_id, {})
        return _still_stored([Feed.item(cat, query, int(r), float(sc), n + 1, "similar", 0.0, interests,
                                        tags.get(cat.ids[r], {}))
                              for n, (r, sc) in enumerate(zip(rows, scores, strict=True))])

    def search(self, query: str, k: int = 10) -> list[dict]:
        if not query or not query.strip():
            raise QueryError("empty_query", "the search query is empty")
        if self.text is None:
            raise QueryError("no_text_model", "text search needs the text encoder")
        cat = self.catalogue()
        if not len(cat):
            return []
        if cat.dims["text"] != self.text.dim:
            raise QueryError("space_mismatch", "the store's text vectors come from another text model; re-index")
        vectors = {"text": self.text.embed([query])[0]}
        clip_vec = self.interests.clip_text([query])
        if clip_vec is not None and cat.dims["visual"] == clip_vec.size:
            vectors["visual"] = clip_vec
        q = compose(vectors, self.prior(), cat.dims)
        rows = cat.index.search(q.vector, k).rows
        scores = cat.vectors.scores(rows, q.vector)
        order = np.argsort(-scores, kind="stable")
        rows, scores = rows[order], scores[order]
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


def _still_stored(items: list[dict]) -> list[dict]:
    """The items whose video was not deleted while the answer was being built (a delete never waits for readers,
    so its slot may empty between ranking and explaining), ranked 1..n again."""
    kept = [item for item in items if item["video_id"] is not None]
    for rank, item in enumerate(kept, start=1):
        item["rank"] = rank
    return kept


__all__ = ["Recommender", "empty_catalogue"]
