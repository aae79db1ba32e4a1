"""Benchmark the HTTP API on a real uvicorn server (loopback): upload-to-tags latency for the sample clips,
and recommendation latency under concurrent load.

    python bench/api_latency.py                 # models from REELSENSE_* settings (embedded defaults)
    python bench/api_latency.py --tiny-clip     # random-weight tiny CLIP, where real CLIP weights are absent
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TARGET_UPLOAD_S = 3.0  # 5-10 s sample clip, CPU, one worker idle
TARGET_REC_P99_MS = 100.0  # 16 concurrent clients, 8-video store
KEY = "bench-key"


def tiny_clip(folder: Path) -> tuple[str, str]:
    import open_clip
    import torch

    from tests.helpers import TINY_CLIP_CONFIG

    config = folder / "tiny-clip-bench.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    checkpoint = folder / "tiny-clip-bench.pt"
    torch.save(open_clip.create_model("tiny-clip-bench").state_dict(), checkpoint)
    return str(config), str(checkpoint)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    import httpx
    import uvicorn

    from service.api import create_app
    from service.config import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny-clip", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="upload rounds over the sample clips")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=25, help="recommendation requests per client")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="reelsense-bench-"))
    overrides = dict(data_dir=tmp, api_keys=KEY, workers=args.workers)
    if args.tiny_clip:
        overrides.update(zip(("clip_model", "clip_pretrained"), tiny_clip(tmp), strict=True))
    settings = Settings(**overrides)
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=300) as http:
        while True:
            try:
                if http.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        print(f"server ready (models loaded, {args.workers} worker(s)) in {time.perf_counter() - t0:.1f} s")

        clips = sorted((REPO / "sample_media").glob("*.mp4"))
        upload_s: list[float] = []
        ids: list[str] = []
        for round_ in range(args.rounds):
            for clip in clips:
                sidecar = json.loads(clip.with_suffix(".json").read_text())
                fields = {"title": sidecar["title"], "description": sidecar["description"],
                          "hashtags": " ".join(sidecar["hashtags"])}
                start = time.perf_counter()
                r = http.post("/videos", files={"file": (clip.name, clip.read_bytes())}, data=fields,
                              headers={"X-API-Key": KEY})
                elapsed = time.perf_counter() - start
                assert r.status_code == 201, r.text
                upload_s.append(elapsed)
                if round_ < args.rounds - 1:  # delete so the next round analyses the clip again
                    http.delete(f"/videos/{r.json()['id']}", headers={"X-API-Key": KEY})
                else:
                    ids.append(r.json()["id"])
        print(f"upload-to-tags: {len(upload_s)} uploads of {len(clips)} sample clips: p50 {pct(upload_s, 50):.3f} s, "
              f"p99 {pct(upload_s, 99):.3f} s, max {max(upload_s):.3f} s  (target p50 < {TARGET_UPLOAD_S} s)")

        rng = np.random.default_rng(0)
        users = [f"user{i}" for i in range(args.clients)]
        kinds = ("like", "view", "not_interested")
        events = [{"user_id": u, "video_id": ids[int(j)], "type": t}
                  for u in users for j, t in zip(rng.choice(len(ids), 3, replace=False), kinds, strict=True)]
        assert http.post("/events", json={"events": events}, headers={"X-API-Key": KEY}).status_code == 200

    def client(user: str) -> list[float]:
        times = []
        with httpx.Client(base_url=base, timeout=60) as own:
            for _ in range(args.requests):
                start = time.perf_counter()
                r = own.get(f"/users/{user}/recommendations", params={"k": 5, "diversity": 0.2})
                times.append(time.perf_counter() - start)
                assert r.status_code == 200 and r.json()["items"]
        return times

    start = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        latencies = [t * 1000 for ts in pool.map(client, users) for t in ts]
    wall = time.perf_counter() - start
    print(f"recommendations: {len(latencies)} requests from {args.clients} concurrent clients: "
          f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, {len(latencies) / wall:.0f} req/s  "
          f"(target p99 < {TARGET_REC_P99_MS:.0f} ms)")
    server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
