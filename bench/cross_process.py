"""How soon a running server serves what another process writes to its store, at catalogue scale (issue 19).

    python bench/cross_process.py --workdir /tmp/scale/w100k     # a store left by bench/serve_scale.py --workdir
    (bench/serve_scale.py runs the same rounds after its own)

The server is the real `reelsense serve` (a subprocess) on a store that bench/serve_scale.py built; while it runs,
other processes write to the same SQLite file:
- add: a writer process stores one new video through `Store.add_many` (what `reelsense embed --db` and
  `reelsense import` call) and prints its commit time; the delay runs from that commit to the first moment the
  video is in a feed (`created_after`) and `similar` answers for it.
- events: the writer stores 25 impressions and 5 likes of one of those videos; delay until its feed item's
  exposure stage moves (the server's in-memory counters were updated).
- delete: the writer deletes each of them; delay until it has left the feed.
- bulk: `reelsense import --no-index` of N new videos; how long after the import exits the last one is served
  (the server inserts them into its HNSW index as they are logged).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synthetic_catalogue import video_id, write_catalogue  # noqa: E402

TARGET_S = 2.0
WRITER = r"""
import json, sys, time
import numpy as np
from service.records import VideoRecord
from service.storage import Store
job = json.loads(sys.argv[1])
with Store(job["db"]) as store:
    if job["do"] == "add":
        rng = np.random.default_rng(job["seed"])
        vectors = {m: rng.normal(size=d) for m, d in job["dims"].items()}
        store.add_many([VideoRecord.from_vectors(job["id"], vectors, space_id=job["space"], created_at=time.time())])
    elif job["do"] == "delete":
        store.delete(job["id"])
    else:
        store.add_events([(f"xproc-viewer{i}", job["id"], "impression" if i < 25 else "like", time.time(), None, None)
                          for i in range(30)])
    print(time.time())
"""


def _until(check: Callable[[], bool], writer: subprocess.Popen, timeout: float = 300.0) -> float:
    """The wall-clock time at which `check()` was first seen true (while the writer has not failed)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline or writer.poll():
            _, err = writer.communicate()
            raise SystemExit(f"the server never showed the change; the writer said: {err[-2000:]}")
        time.sleep(0.01)
    return time.time()


def _write_and_wait(env: dict[str, str], job: dict, check: Callable[[], bool]) -> float:
    """Run one writer process; seconds from its commit until `check()` held on the server."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, json.dumps(job)], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = _until(check, writer)
    out, err = writer.communicate(timeout=300)
    if writer.returncode:
        raise SystemExit(f"writer failed: {err[-2000:]}")
    return seen - float(out.split()[-1])


def rounds(base: str, db: Path, env: dict[str, str], space: str, dims: dict[str, int], n: int = 5) -> dict:
    """Delays (s) of n adds, one event batch and n deletes by writer processes, as seen through the server."""
    since = time.time() - 1
    probe = "/users/xproc-probe/recommendations"
    out: dict[str, list[float]] = {"add": [], "events": [], "delete": []}
    with httpx.Client(base_url=base, timeout=120) as http:
        def fresh() -> dict[str, dict]:
            items = http.get(probe, params={"k": 50, "created_after": since}).json()["items"]
            return {item["video_id"]: item for item in items}

        ids = [hashlib.sha256(f"xproc-{time.time()}-{i}".encode()).hexdigest() for i in range(n)]
        for i, vid in enumerate(ids):
            job = {"do": "add", "db": str(db), "id": vid, "seed": i, "space": space, "dims": dims}
            out["add"].append(_write_and_wait(env, job, lambda v=vid: v in fresh() and http.get(
                f"/videos/{v}/similar", params={"k": 3}).status_code == 200))
        job = {"do": "events", "db": str(db), "id": ids[0]}
        out["events"].append(_write_and_wait(env, job, lambda: fresh()[ids[0]]["explanation"]["stage"]["stage"] > 0))
        for vid in ids:
            out["delete"].append(_write_and_wait(env, {"do": "delete", "db": str(db), "id": vid},
                                                 lambda v=vid: v not in fresh()))
    return out


def bulk(base: str, db: Path, env: dict[str, str], space: str, dims: dict[str, int], models: dict[str, str],
         n: int, first: int) -> tuple[float, float]:
    """`reelsense import --no-index` of n new videos while the server runs: (import seconds, seconds from the
    import's exit until the last of them is served)."""
    folder = Path(tempfile.mkdtemp(prefix="xproc-bulk-"))
    try:
        write_catalogue(folder, n, dims, models, space, seed=first, first=first)
        started = time.time()
        importer = subprocess.Popen([sys.executable, "-m", "service.cli", "import", str(folder), "--db", str(db),
                                     "--no-index", "--quiet"], env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
        last = video_id(first + n - 1)
        with httpx.Client(base_url=base, timeout=120) as http:
            seen = _until(lambda: http.get(f"/videos/{last}/similar", params={"k": 3}).status_code == 200, importer,
                          1800)
        _, err = importer.communicate(timeout=1800)
        if importer.returncode:
            raise SystemExit(f"import failed: {err[-2000:]}")
        ended = time.time()  # after `seen` when the server kept up: then the delay is 0
        return ended - started, max(0.0, seen - ended)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(base: str, db: Path, env: dict[str, str], space: str, dims: dict[str, int], models: dict[str, str],
           n: int = 5, bulk_n: int = 2000) -> None:
    """Run the rounds and print each delay next to the target."""
    delays = rounds(base, db, env, space, dims, n)
    for kind, values in delays.items():
        worst = max(values)
        print(f"  other process's {kind:<6} -> served: {', '.join(f'{v * 1000:.0f}' for v in values)} ms   "
              f"target <= {TARGET_S:g} s{'  OK' if worst <= TARGET_S else '  MISS'}", flush=True)
    if bulk_n:
        first = 10**12 + int(time.time()) * 10_000  # numbers no run has used
        took, after = bulk(base, db, env, space, dims, models, bulk_n, first)
        served = f"{after:.2f} s after the import exited" if after > 0 else "before the import process had exited"
        print(f"  reelsense import of {bulk_n:,} new videos beside the server: {took:.1f} s (process start to exit); "
              f"the last one served {served}", flush=True)


def stored_space(db: Path) -> tuple[str, dict[str, int], dict[str, str]]:
    """The store's embedding space (id, dims, model names): the writers must match it, whatever today's models."""
    from service.storage import Store

    with Store(db) as store:
        space, dims = store.space_id, store.dims()
    models = dict(part.split("=", 1) for part in space.split("|"))
    return space, dims, {m: models[m].rsplit(":", 1)[0] for m in ("text", "visual", "audio")}


def main() -> int:
    from bench.serve_scale import Server, random_clip_checkpoint, server_env

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, required=True, help="holds serve.db (and its saved index)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bulk", type=int, default=2000, help="videos imported beside the server (0: none)")
    args = ap.parse_args()
    db = args.workdir / "serve.db"
    env = server_env(args.workdir, random_clip_checkpoint(args.workdir.parent))
    space, dims, models = stored_space(db)
    server = Server(db, env)
    try:
        print(f"cross-process visibility: server ready in {server.ready_s:.1f} s on {db}", flush=True)
        report(server.base, db, env, space, dims, models, args.rounds, args.bulk)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
