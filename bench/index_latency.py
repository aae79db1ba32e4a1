"""Recommendation latency and recall@100 of the HNSW index against exact search on synthetic catalogues.

Targets: p99 <= 10 ms per query and recall@100 >= 0.95 at 1M videos. Vectors are clustered (videos
sit around topic centres, like real embeddings) and unit length; queries are user-like mixtures of a
few catalogue vectors. Default dim 64 keeps a 1M build within minutes on a small machine; the
production fused dim (384 text + 512 visual + audio) costs more memory and build time, so pass
--dim to measure it where there is room.

    python bench/index_latency.py --sizes 10000,100000,1000000 --dim 64
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.config import Settings
from service.recommend.index import ExactIndex, HnswIndex, VectorMatrix

P99_TARGET_MS, RECALL_TARGET, K = 10.0, 0.95, 100


def catalogue(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(size=(max(8, n // 500), dim)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        noise = rng.normal(size=(stop - start, dim)).astype(np.float32)
        out[start:stop] = centres[rng.integers(0, len(centres), stop - start)] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--queries", type=int, default=200)
    defaults = Settings()  # measure what the service runs with unless told otherwise
    ap.add_argument("--m", type=int, default=defaults.hnsw_m)
    ap.add_argument("--ef-construction", type=int, default=defaults.hnsw_ef_construction)
    ap.add_argument("--ef-search", type=int, default=defaults.hnsw_ef_search)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"dim={args.dim} k={K} M={args.m} ef_construction={args.ef_construction} ef_search={args.ef_search}")
    print(f"{'videos':>9} {'build_s':>8} {'exact p50/p99 ms':>17} {'hnsw p50/p99 ms':>16} {'recall@100':>10}  "
          f"targets: p99<={P99_TARGET_MS:g} ms, recall>={RECALL_TARGET}")
    for n in [int(s) for s in args.sizes.split(",")]:
        matrix = catalogue(n, args.dim, rng)
        picks = rng.integers(0, n, size=(args.queries, 5))
        queries = matrix[picks].sum(axis=1)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        t0 = time.perf_counter()
        hnsw = HnswIndex(args.dim, m=args.m, ef_construction=args.ef_construction, ef_search=args.ef_search,
                         capacity=n)
        hnsw.add(np.arange(n), matrix, threads=-1)
        build = time.perf_counter() - t0
        vectors = VectorMatrix(args.dim, capacity=n)
        vectors.put(np.arange(n), matrix)
        exact = ExactIndex(vectors)
        exact_ms, hnsw_ms, recall = [], [], []
        for q in queries:
            t = time.perf_counter()
            truth = exact.search(q, K)
            exact_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            got = hnsw.search(q, K)
            hnsw_ms.append((time.perf_counter() - t) * 1000)
            recall.append(len(set(truth.rows.tolist()) & set(got.rows.tolist())) / K)
        e50, e99 = np.percentile(exact_ms, [50, 99])
        h50, h99 = np.percentile(hnsw_ms, [50, 99])
        ok = "OK" if h99 <= P99_TARGET_MS and np.mean(recall) >= RECALL_TARGET else "MISS"
        print(f"{n:>9} {build:>8.1f} {e50:>8.2f}/{e99:<8.2f} {h50:>7.2f}/{h99:<8.2f} {np.mean(recall):>10.3f}  {ok}",
              flush=True)
        del hnsw, exact, matrix
    return 0


if __name__ == "__main__":
    sys.exit(main())
