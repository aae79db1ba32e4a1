"""Moment-search examples and the hook and pacing stats of every sample clip, through the real CLI.

Embeds sample_media into a fresh store with `reelsense embed`, runs `reelsense search` for a few queries and
prints each hit's best moment, then prints each clip's hook (first 3 s) and pacing stats from the store, and
times search with and without moment ranking in process (target: moments add under 20 ms to a k=10 search).

    python bench/moments_and_hooks.py [--db PATH]   # an existing store is reused
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERIES = ("pasta", "music", "someone talking", "dance music", "workout at the gym")
TARGET_MOMENT_MS = 20.0


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout


def show_searches(db: str, env: dict[str, str]) -> None:
    for query in QUERIES:
        out = json.loads(cli("search", query, "-k", "3", "--db", db, env=env))
        print(f"\nreelsense search {query!r}")
        for item in out["items"]:
            m = item["moment"]
            where = (f"{m['kind']:<6} {m['start_s']:5.2f}-{m['end_s']:5.2f} s  score {m['score']:.2f}  "
                     f"{m['text']!r}  {m['thumbnail_url'].split('/frames/')[1]}") if m else "no moment matches"
            print(f"  {item['rank']}. {Path(item['path']).stem:<17} video {item['score']:.3f}  moment: {where}")


def show_hooks(db: str) -> None:
    from service.storage import Store

    print(f"\n{'clip':<17} {'cuts<3s':>7} {'motion':>7} {'faces':>5} {'text':<8} {'loud dB':>7} {'sound':<8} "
          f"{'onset':>5} {'cuts/s':>6} {'on-beat':>13}  tags")
    with Store(db) as store:
        for record in sorted(store.records(), key=lambda r: Path(r.path).stem):
            visual = record.features["visual"]
            hook, pacing = visual.stats["hook"], visual.stats["pacing"]
            onset = hook["music_onset_s"] if hook["music_onset_s"] is not None else hook["speech_onset_s"]
            align = pacing["beat_alignment"]
            beat = f"{align['share']:.2f} vs {align['chance']:.2f}" if align else "-"
            tags = ", ".join(t.label for t in visual.tags if t.source == "pacing") or "-"
            motion = f"{hook['motion']:.3f}" if hook["motion"] is not None else "-"
            print(f"{Path(record.path).stem:<17} {hook['cuts']:>7} {motion:>7} {hook['faces_max']:>5} "
                  f"{','.join(hook['onscreen_text']) or '-':<8} {hook['loudness_db'] or '-':>7} "
                  f"{hook['sound'] or '-':<8} {onset if onset is not None else '-':>5} {pacing['cuts_per_s']:>6} "
                  f"{beat:>13}  {tags}")


def time_search(db: str) -> None:
    from service.config import Settings
    from service.factory import Components

    components = Components(Settings(db_path=Path(db)))
    rec = components.recommender()
    moments = components.moment_search(rec.store)
    plain, with_moments = [], []
    for i in range(30):
        query = f"{QUERIES[i % len(QUERIES)]} {i}"  # distinct words: no query cache hit
        t0 = time.perf_counter()
        items = rec.search(query, 10)
        t1 = time.perf_counter()
        moments.attach(query, items)
        t2 = time.perf_counter()
        plain.append((t1 - t0) * 1000)
        with_moments.append((t2 - t1) * 1000)
    extra = statistics.median(with_moments)
    print(f"\nsearch k=10 over {rec.store.count()} videos ({rec.store.moment_count()} stored moments): "
          f"median {statistics.median(plain):.1f} ms; moment ranking adds median {extra:.1f} ms "
          f"(target < {TARGET_MOMENT_MS:.0f} ms: {'met' if extra < TARGET_MOMENT_MS else 'NOT met'})")
    rec.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="reuse this store instead of embedding the sample media afresh")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="reelsense-bench-")
    env = {**os.environ, "REELSENSE_DATA_DIR": data, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    db = args.db or str(Path(data) / "bench.db")
    if not args.db:
        t0 = time.perf_counter()
        cli("embed", "sample_media", "--db", db, "--quiet", env=env)
        print(f"embedded sample_media in {time.perf_counter() - t0:.0f} s")
    show_searches(db, env)
    show_hooks(db)
    time_search(db)


if __name__ == "__main__":
    main()
