"""Synthetic serving data for bench/serve_scale.py: a catalogue in the real Parquet schema (what `reelsense
embed --out` writes, in the embedding space of the server under test) and an event stream.

Videos sit around topic centres per modality (like real embeddings), are fused exactly as the pipeline fuses
(attention over confidences, sqrt-weighted concatenation) and carry category and hashtag tags. Events follow a
Zipf-like video popularity, with the mix of types a short-video feed sees.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.taxonomy import load_taxonomy
from service.fusion import MODALITIES
from service.pipeline.parquet import SCHEMA

EVENT_MIX = {"impression": 0.50, "view": 0.30, "like": 0.07, "skip": 0.07, "share": 0.02, "comment": 0.015,
             "follow": 0.01, "not_interested": 0.005}
TOPICS = 400


def video_id(i: int) -> str:
    return f"{i:064x}"


def _lists(matrix: np.ndarray) -> pa.ListArray:
    n, d = matrix.shape
    return pa.ListArray.from_arrays(pa.array(np.arange(0, (n + 1) * d, d, dtype=np.int32)),
                                    pa.array(matrix.reshape(-1).astype(np.float32)))


def _fuse(vectors: dict[str, np.ndarray], confidence: dict[str, np.ndarray], temperature: float = 0.5):
    logits = np.stack([np.where(confidence[m] > 0, confidence[m] / temperature, -np.inf) for m in MODALITIES], 1)
    weights = np.exp(logits - logits.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)
    fused = np.concatenate([np.sqrt(weights[:, [j]]) * vectors[m] for j, m in enumerate(MODALITIES)], 1)
    return fused.astype(np.float32), weights


def write_catalogue(folder: Path, n: int, dims: dict[str, int], models: dict[str, str], space_id: str,
                    seed: int = 0, shard: int = 50_000, first: int = 0) -> list[Path]:
    """Parquet shards of n videos numbered from `first`; returns the shard paths."""
    rng = np.random.default_rng(seed)
    centres = {m: rng.normal(size=(TOPICS, d)).astype(np.float32) for m, d in dims.items()}
    categories = [c.id for c in load_taxonomy()]
    folder.mkdir(parents=True, exist_ok=True)
    now, paths = time.time(), []
    for start in range(0, n, shard):
        size = min(shard, n - start)
        topic = rng.integers(0, TOPICS, size)
        vectors, confidence = {}, {}
        for m, d in dims.items():
            v = centres[m][topic] + 1.2 * rng.normal(size=(size, d)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            confidence[m] = np.full(size, {"text": 0.8, "visual": 0.9, "audio": 0.6}[m])
            if m == "audio":  # a tenth of the videos have no sound
                silent = rng.random(size) < 0.1
                v[silent], confidence[m][silent] = 0.0, 0.0
            vectors[m] = v
        fused, weights = _fuse(vectors, confidence)
        ids = [video_id(first + start + i) for i in range(size)]
        category = [categories[t % len(categories)] for t in topic]
        text_tags = [[{"label": c, "score": 0.7, "source": "category"}, {"label": f"#topic{t}", "score": 1.0,
                                                                         "source": "hashtag"}]
                     for c, t in zip(category, topic, strict=True)]
        columns = {
            "id": ids, "path": [f"synthetic://{i}" for i in ids], "title": [f"video about topic {t}" for t in topic],
            "duration_s": np.full(size, 12.0, np.float32), "tags": text_tags,
            "weights": pa.StructArray.from_arrays([pa.array(weights[:, j]) for j in range(3)], list(MODALITIES)),
            "confidence": pa.StructArray.from_arrays([pa.array(confidence[m]) for m in MODALITIES], list(MODALITIES)),
            "fused_vector": _lists(fused), **{f"{m}_vector": _lists(vectors[m]) for m in MODALITIES},
            "space_id": [space_id] * size, "description": [""] * size,
            "hashtags": [[f"#topic{t}"] for t in topic], "creator": [f"creator{c}" for c in rng.integers(0, n // 20 + 1,
                                                                                                    size)],
            "created_at": now - rng.uniform(0, 90 * 86400, size), "info": ['{"duration_s": 12.0}'] * size,
            "warnings": [[] for _ in range(size)],
            **{f"{m}_model": [models[m]] * size for m in MODALITIES},
            "text_tags": text_tags, "visual_tags": [[] for _ in range(size)], "audio_tags": [[] for _ in range(size)],
            **{f"{m}_stats": ["{}"] * size for m in MODALITIES},
        }
        path = folder / f"part-{start // shard:05d}.parquet"
        # schema 2's media columns (prints, moments, frames) stay null: synthetic videos have no media
        pq.write_table(pa.table({f.name: columns[f.name] if f.name in columns else pa.nulls(size, f.type)
                                 for f in SCHEMA}, schema=SCHEMA), path)
        paths.append(path)
    return paths


def event_chunks(n: int, videos: int, users: int, chunk: int = 500_000, seed: int = 1):
    """n store rows (user, video, type, ts, watch_seconds, completion) in chunks, each grouped by user (as clients
    flush a session's events) and generated as needed (ten million rows never sit in memory at once)."""
    rng = np.random.default_rng(seed)
    rank = rng.permutation(videos)
    popularity = 1.0 / np.arange(1, videos + 1) ** 0.8
    cdf = np.cumsum(popularity) / popularity.sum()
    kinds = np.array(list(EVENT_MIX))
    kind_cdf = np.cumsum(list(EVENT_MIX.values()))
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        video = rank[np.minimum(np.searchsorted(cdf, rng.random(size)), videos - 1)]
        user = rng.integers(0, users, size)
        kind = kinds[np.minimum(np.searchsorted(kind_cdf, rng.random(size) * kind_cdf[-1]), len(kinds) - 1)]
        ts = time.time() - rng.uniform(0, 30 * 86400, size)
        completion = rng.random(size)
        view = kind == "view"
        order = np.lexsort((ts, user))
        yield [(f"user{user[i]}", video_id(int(video[i])), str(kind[i]), float(ts[i]),
                12.0 * float(completion[i]) if view[i] else None, float(completion[i]) if view[i] else None)
               for i in order]
