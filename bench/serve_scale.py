"""Recommendation serving at platform scale, through the real entry points: a synthetic catalogue in the real
Parquet schema loaded with `reelsense import`, the real HTTP server (`reelsense serve`) as a subprocess, events
through `POST /events`, then 16 concurrent clients asking for feeds (warm and cold users), search and similar, and
how soon other processes' writes to the store are served (bench/cross_process.py).

    python bench/serve_scale.py --videos 100000 --events 1000000 --users 50000
    python bench/serve_scale.py --videos 1000000 --events 1000000 --more-events 9000000 --users 100000 \\
        --http-events 200000

The server's embedding space is the production one (MiniLM 384 + CLIP ViT-B-32 512 + audio 55 = 951 floats);
no pretrained CLIP weights exist offline, so ViT-B-32 runs with random weights (same dims and compute).
Events beyond --http-events are preloaded through the store's bulk path (`Store.add_events` with the same
state update the server runs); the printout says which. --more-events then preloads more and measures again.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench import cross_process  # noqa: E402
from bench.synthetic_catalogue import event_chunks, video_id, write_catalogue  # noqa: E402

KEY = "bench-key"
TARGETS = {"feed_p99_ms": {100_000: 50.0, 1_000_000: 100.0}, "ingest": 5000.0, "visible_s": 2.0, "rss_gb": 8.0}
QUERIES = ["cooking pasta", "cat videos", "gym workout", "sunset beach", "dance challenge", "study music",
           "phone review", "forest timelapse", "street food", "funny dogs"]


def random_clip_checkpoint(folder: Path) -> Path:
    """ViT-B-32 with random weights, saved once: the production visual dims and compute without the download."""
    path = folder / "vit-b-32-random.pt"
    if not path.exists():
        import open_clip
        import torch

        torch.manual_seed(0)
        torch.save(open_clip.create_model("ViT-B-32").state_dict(), path)
    return path


def server_env(workdir: Path, checkpoint: Path) -> dict[str, str]:
    return {**os.environ, "REELSENSE_DATA_DIR": str(workdir), "REELSENSE_API_KEYS": KEY,
            "REELSENSE_CLIP_MODEL": "ViT-B-32", "REELSENSE_CLIP_PRETRAINED": str(checkpoint),
            "REELSENSE_WORKERS": "1", "REELSENSE_OCR_ENABLED": "false", "REELSENSE_JOB_TIMEOUT_S": "600",
            "PYTHONPATH": str(REPO)}


def space_of(env: dict[str, str]):
    """The analyzer's embedding space (id, dims, model names) under the server's settings."""
    from service.config import Settings
    from service.factory import Components

    old = dict(os.environ)
    os.environ.update(env)
    try:
        analyzer = Components(Settings()).analyzer
        models = {"text": analyzer.text.model, "visual": analyzer.visual.model, "audio": analyzer.audio.model}
        return analyzer.space_id, dict(analyzer.dims), models
    finally:
        os.environ.clear()
        os.environ.update(old)


def cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True,
                          cwd=REPO, check=False)
    if done.returncode:
        raise SystemExit(f"reelsense {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stderr.strip().splitlines()[-1]


def preload(db: Path, n: int, videos: int, users: int, seed: int, env: dict[str, str]) -> float:
    """Events through the store's bulk path (same transaction, counters and state update as the server)."""
    from service.config import Settings
    from service.recommend.updates import apply_events
    from service.storage import Store

    old = dict(os.environ)
    os.environ.update(env)
    settings = Settings()
    os.environ.clear()
    os.environ.update(old)
    started = time.perf_counter()
    with Store(db, counters_half_life_days=settings.popularity_half_life_days) as store:
        for chunk in event_chunks(n, videos, users, seed=seed):
            for start in range(0, len(chunk), 20_000):
                store.add_events(chunk[start : start + 20_000], apply=lambda s, b: apply_events(s, b, settings))
    return n / max(time.perf_counter() - started, 1e-9)


class Server:
    def __init__(self, db: Path, env: dict[str, str], *extra: str):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.base = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--db", str(db), "--port",
                                      str(self.port), *extra], env=env, cwd=REPO)
        import httpx

        while True:
            if self.proc.poll() is not None:
                raise SystemExit("the server exited during start-up")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.ready_s = time.perf_counter() - started

    def peak_rss_gb(self) -> tuple[float, float]:
        """(server process, its worker processes) peak resident memory in GB (VmHWM)."""
        def hwm(pid: int) -> float:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024**2
            return 0.0

        children = [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        return hwm(self.proc.pid), sum(hwm(c) for c in children)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # a clean shutdown saves the index
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextmanager
def bench_workdir(given: Path | None, prefix: str) -> Iterator[Path]:
    """The folder a benchmark works in: `given` (kept), or a temporary one removed at the end."""
    workdir = given or Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        yield workdir
    finally:
        if given is None:
            shutil.rmtree(workdir, ignore_errors=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def post_events(base: str, n: int, videos: int, users: int, posters: int = 8) -> float:
    """n events through POST /events in batches of 1,000 (one client session's events each), `posters` at once."""
    import httpx

    batches = [chunk[i : i + 1000] for chunk in event_chunks(n, videos, users, seed=99)
               for i in range(0, len(chunk), 1000)]

    def post(batch_list):
        with httpx.Client(base_url=base, timeout=120, headers={"X-API-Key": KEY}) as http:
            for batch in batch_list:
                body = {"events": [{"user_id": u, "video_id": v, "type": t, "timestamp": ts, "watch_seconds": w,
                                    "completion": c} for u, v, t, ts, w, c in batch]}
                r = http.post("/events", json=body)
                assert r.status_code == 200, r.text

    started = time.perf_counter()
    with ThreadPoolExecutor(posters) as pool:
        list(pool.map(post, [batches[i::posters] for i in range(posters)]))
    return n / (time.perf_counter() - started)


def query_load(base: str, videos: int, users: int, clients: int, requests: int) -> dict[str, list[float]]:
    """Three rounds of `clients` concurrent clients x `requests` requests: feeds (warm and cold users in turn),
    then search, then similar; one kind at a time, so a costly kind (search encodes the query with MiniLM and
    CLIP's text tower) does not hide the others' latency on two cores."""
    import httpx

    def request(kind: str, n: int, r: int, rng: np.random.Generator) -> tuple[str, dict]:
        if kind == "feed":
            warm = r % 2 == 0
            user = f"user{rng.integers(0, users)}" if warm else f"cold{n}x{r}"
            return f"/users/{user}/recommendations", {"k": 10}
        if kind == "search":
            return "/search", {"q": QUERIES[rng.integers(0, len(QUERIES))], "k": 10}
        return f"/videos/{video_id(int(rng.integers(0, videos)))}/similar", {"k": 10}

    def client(kind: str, n: int) -> dict[str, list[float]]:
        rng = np.random.default_rng(1000 + n)
        out: dict[str, list[float]] = {}
        with httpx.Client(base_url=base, timeout=120, headers={"X-API-Key": KEY}) as http:
            for r in range(requests):
                url, params = request(kind, n, r, rng)
                name = kind if kind != "feed" else ("feed warm" if r % 2 == 0 else "feed cold")
                started = time.perf_counter()
                resp = http.get(url, params=params)
                out.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                assert resp.status_code == 200 and resp.json()["items"], resp.text
        return out

    merged: dict[str, list[float]] = {}
    for kind in ("feed", "search", "similar"):
        with ThreadPoolExecutor(clients) as pool:
            for part in pool.map(lambda n, kind=kind: client(kind, n), range(clients)):
                for name, values in part.items():
                    merged.setdefault(name, []).extend(values)
    return merged


def upload_to_visible(base: str) -> list[tuple[float, float]]:
    """(upload request s, stored-to-visible s) for sample clips: visible = in a fresh-uploads feed and in similar."""
    import httpx

    out = []
    with httpx.Client(base_url=base, timeout=300, headers={"X-API-Key": KEY}) as http:
        for clip in sorted((REPO / "sample_media").glob("*.mp4"))[:3]:
            started = time.perf_counter()
            before = time.time()
            r = http.post("/videos", files={"file": (clip.name, clip.read_bytes())}, data={"title": clip.stem},
                          params={"mode": "sync"})
            assert r.status_code in (200, 201), r.text
            stored = time.perf_counter()
            vid = r.json()["id"]
            while True:
                feed = http.get("/users/visibility-probe/recommendations",
                                params={"k": 50, "created_after": before - 1}).json()["items"]
                similar = http.get(f"/videos/{vid}/similar", params={"k": 3})
                if vid in {i["video_id"] for i in feed} and similar.status_code == 200:
                    break
                time.sleep(0.02)
            out.append((stored - started, time.perf_counter() - stored))
    return out


def report_queries(label: str, lat: dict[str, list[float]], target_ms: float) -> None:
    for kind, values in lat.items():
        target = f"p99 <= {target_ms:.0f} ms" if kind.startswith("feed") else "(no target)"
        ok = "" if not kind.startswith("feed") else ("  OK" if pct(values, 99) <= target_ms else "  MISS")
        print(f"  {label:<22} {kind:<10} n={len(values):<5} p50 {pct(values, 50):7.1f} ms  p99 "
              f"{pct(values, 99):7.1f} ms   target {target}{ok}", flush=True)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--http-events", type=int, help="events posted through HTTP (default: all)")
    ap.add_argument("--more-events", type=int, default=0, help="then preload this many more and measure again")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=100, help="requests per client")
    ap.add_argument("--workdir", type=Path, help="default: a temporary folder, removed at the end")
    return ap.parse_args()


def load(args, workdir: Path, db: Path, env: dict[str, str], http_events: int) -> tuple:
    """Synthetic Parquet -> `reelsense import` -> bulk preload of the events not posted through HTTP; returns the
    server's embedding space (id, dims, model names)."""
    space, dims, models = space_of(env)
    print(f"serve_scale: {args.videos:,} videos ({sum(dims.values())} floats: {dims}), {args.events:,} events "
          f"({http_events:,} through POST /events, the rest preloaded through the store's bulk path), "
          f"{args.users:,} users, {args.clients} clients; {os.cpu_count()} cores", flush=True)
    started = time.perf_counter()
    write_catalogue(workdir / "shards", args.videos, dims, models, space)
    print(f"  synthetic Parquet written in {time.perf_counter() - started:.0f} s", flush=True)
    took, line = cli(["import", str(workdir / "shards"), "--db", str(db), "--quiet"], env)
    shutil.rmtree(workdir / "shards")
    print(f"  import (reelsense import, incl. index build + save): {took:.0f} s -- {line}", flush=True)
    bulk = args.events - http_events
    if bulk:
        rate = preload(db, bulk, args.videos, args.users, 7, env)
        print(f"  preloaded {bulk:,} events through the bulk path at {rate:,.0f} events/s", flush=True)
    return space, dims, models


def serve(args, db: Path, env: dict[str, str], http_events: int, target_ms: float, space: tuple) -> tuple[float, float]:
    """Start the server, post events, run the clients, upload clips, let other processes write to its store;
    returns peak RSS (server, workers)."""
    server = Server(db, env)
    print(f"  server ready (index loaded, models warmed) in {server.ready_s:.1f} s", flush=True)
    if http_events:
        rate = post_events(server.base, http_events, args.videos, args.users)
        print(f"  ingest through POST /events: {rate:,.0f} events/s   target >= {TARGETS['ingest']:,.0f}"
              f"{'  OK' if rate >= TARGETS['ingest'] else '  MISS'}", flush=True)
    for upload_s, visible_s in upload_to_visible(server.base):  # before the load, so analysis is not starved
        print(f"  upload (analysed in a worker) {upload_s:.2f} s, stored -> visible in feed and similar "
              f"{visible_s * 1000:.0f} ms   target visible <= {TARGETS['visible_s']:g} s"
              f"{'  OK' if visible_s <= TARGETS['visible_s'] else '  MISS'}", flush=True)
    cross_process.report(server.base, db, env, *space)  # other processes' writes -> served (bench/cross_process.py)
    label = f"{args.events / 1e6:g}M events"
    report_queries(f"{label}, 1 client", query_load(server.base, args.videos, args.users, 1, 100), target_ms)
    report_queries(f"{label}, {args.clients} clients", query_load(server.base, args.videos, args.users,
                                                                  args.clients, args.requests), target_ms)
    rss = server.peak_rss_gb()
    server.stop()
    return rss


def serve_more(args, db: Path, env: dict[str, str], target_ms: float) -> tuple[float, float]:
    """Preload --more-events, restart on the saved index, measure the same requests again."""
    rate = preload(db, args.more_events, args.videos, args.users, 8, env)
    print(f"  preloaded {args.more_events:,} more events through the bulk path at {rate:,.0f} events/s", flush=True)
    server = Server(db, env)
    print(f"  server restarted (saved index) in {server.ready_s:.1f} s", flush=True)
    total = (args.events + args.more_events) / 1e6
    report_queries(f"{total:g}M events, 1 client", query_load(server.base, args.videos, args.users, 1, 100),
                   target_ms)
    report_queries(f"{total:g}M events, {args.clients} clients", query_load(server.base, args.videos, args.users,
                                                                            args.clients, args.requests), target_ms)
    rss = server.peak_rss_gb()
    server.stop()
    return rss


def main() -> int:
    args = parse_args()
    http_events = args.events if args.http_events is None else min(args.http_events, args.events)
    target_ms = TARGETS["feed_p99_ms"][1_000_000 if args.videos > 100_000 else 100_000]
    with bench_workdir(args.workdir, "reelsense-scale-") as workdir:
        db = workdir / "serve.db"
        env = server_env(workdir, random_clip_checkpoint(workdir.parent))
        space = load(args, workdir, db, env, http_events)
        rss, workers = serve(args, db, env, http_events, target_ms, space)
        if args.more_events:
            rss2, workers2 = serve_more(args, db, env, target_ms)
            rss, workers = max(rss, rss2), max(workers, workers2)
        print(f"  server peak RSS {rss:.2f} GB (+ {workers:.2f} GB in its analysis worker)   target <= "
              f"{TARGETS['rss_gb']:g} GB{'  OK' if rss <= TARGETS['rss_gb'] else '  MISS'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
