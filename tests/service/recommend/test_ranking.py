"""Fitting global modality weights from events, the vector index, exposure stages and feed caps."""
from __future__ import annotations

import numpy as np
import pytest

from service.config import Settings
from service.fusion import MODALITIES
from service.recommend import Event, Recommender
from service.recommend.exposure import exposure_stage
from service.recommend.index import ExactIndex, HnswIndex, VectorMatrix
from service.storage import Store
from tests.helpers.records import synthetic_record


def test_fusion_fit_learns_that_audio_predicts_engagement(tmp_path):
    """Users engage with videos whose audio matches their taste; text and visual are noise."""
    rng = np.random.default_rng(2)
    store = Store(tmp_path / "f.db")
    sounds = rng.normal(size=(4, 8))
    for j in range(80):
        vectors = {"text": rng.normal(size=8), "visual": rng.normal(size=8),
                   "audio": sounds[j % 4] + 0.3 * rng.normal(size=8)}
        store.add(synthetic_record(f"v{j}", vectors))
    rec = Recommender(store, Settings(data_dir=tmp_path))
    events, t = [], 0.0
    for u in range(30):
        taste = u % 4
        for j in rng.choice(80, size=20, replace=False):
            t += 1.0
            kind = "like" if j % 4 == taste and rng.random() < 0.9 else "skip"
            events.append(Event(f"u{u}", f"v{j}", kind, t))
    rec.record_events(events)
    report = rec.fit_fusion()
    assert report["weights"]["audio"] > 0.6
    assert report["gain"] > 0 and report["heldout_auc"] > 0.8
    assert rec.prior()["audio"] == pytest.approx(report["weights"]["audio"], abs=1e-3)  # saved and used
    store.close()


def test_hnsw_matches_exact_search():
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(3000, 32)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vectors = VectorMatrix(32)
    vectors.put(np.arange(3000), matrix)
    exact, approx = ExactIndex(vectors), HnswIndex(32, ef_search=100)
    approx.add(np.arange(3000), matrix, threads=2)
    recall = []
    for q in matrix[:20] + 0.1 * rng.normal(size=(20, 32)).astype(np.float32):
        truth = set(exact.search(q, 50).rows.tolist())
        recall.append(len(truth & set(approx.search(q, 50).rows.tolist())) / 50)
    assert np.mean(recall) > 0.95
    hits = exact.search(matrix[5], 3)
    assert hits.rows[0] == 5 and hits.scores[0] == pytest.approx(1.0, abs=1e-5)


def test_hnsw_grows_forgets_and_reloads(tmp_path):
    """Inserts past the capacity resize the index; a deleted label is never returned; a saved index reloads."""
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(3000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    index = HnswIndex(16, capacity=1024)
    for start in range(0, 3000, 500):
        index.add(np.arange(start, start + 500), matrix[start : start + 500])
    assert len(index) == 3000
    assert index.search(matrix[7], 1).rows[0] == 7
    assert index.remove(7)
    assert 7 not in index.search(matrix[7], 10).rows
    index.save(tmp_path / "hnsw.bin")
    loaded = HnswIndex.load(tmp_path / "hnsw.bin", 16, ef_search=400)
    assert loaded.search(matrix[8], 1).rows[0] == 8
    assert 7 not in loaded.search(matrix[7], 10).rows


def test_staged_exposure():
    stages, thresholds = [20, 200], [0.05, 0.1]
    assert exposure_stage(0, 0, stages, thresholds) == (0, "exploring")
    assert exposure_stage(20, 0, stages, thresholds) == (0, "retired")
    assert exposure_stage(20, 5, stages, thresholds) == (1, "exploring")
    assert exposure_stage(200, 30, stages, thresholds) == (2, "established")
    assert exposure_stage(200, 15, stages, thresholds) == (1, "retired")


def test_category_and_creator_caps_diversify_the_feed(tmp_path):
    from extractors.base import Tag

    rng = np.random.default_rng(4)
    store = Store(tmp_path / "c.db")
    base = rng.normal(size=8)
    for j in range(12):  # eight near-identical food videos by one creator, four others
        food = j < 8
        vec = base + (0.05 if food else 1.5) * rng.normal(size=8)
        tags = [Tag("food" if food else "travel", 1, "category")]
        creator = "chef" if food else f"c{j}"
        store.add(synthetic_record(f"v{j}", {m: vec for m in MODALITIES}, tags=tags, creator=creator))
    rec = Recommender(store, Settings(data_dir=tmp_path, max_per_category=3, max_per_creator=2, exploration_share=0))
    rec.record_events([Event("u", "v0", "like", 1.0)])
    feed = rec.recommend("u", k=5, diversity=0.0)
    creators = [store.get(it["video_id"]).creator for it in feed]
    assert creators.count("chef") == 2
    store.close()
