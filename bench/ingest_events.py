"""Ingest through `POST /events`: a synthetic catalogue imported with `reelsense import`, the real server, then
events in batches of 1,000 from several posters at once, printed next to the target. One poster count per run: the
events' users are new to the store, as on a first day (a second round would post to users it already knows).

    python bench/ingest_events.py --videos 20000 --events 100000 --posters 8
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.serve_scale import TARGETS, Server, bench_workdir, load, post_events, random_clip_checkpoint, server_env  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=20_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--posters", type=int, default=8)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    args.clients = 0  # load() prints it
    with bench_workdir(args.workdir, "reelsense-ingest-") as workdir:
        env = server_env(workdir, random_clip_checkpoint(workdir.parent))
        load(args, workdir, workdir / "serve.db", env, http_events=args.events)
        server = Server(workdir / "serve.db", env)
        try:
            rate = post_events(server.base, args.events, args.videos, args.users, posters=args.posters)
            ok = "OK" if rate >= TARGETS["ingest"] else "MISS"
            print(f"  {args.events:,} events through POST /events from {args.posters} posters: {rate:,.0f} events/s"
                  f"   target >= {TARGETS['ingest']:,.0f}  {ok}", flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
