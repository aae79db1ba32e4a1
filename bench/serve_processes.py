"""Feeds from one serving process against `reelsense serve --processes N`, side by side in one run, over one store:
a synthetic catalogue imported with `reelsense import`, events preloaded through the store's bulk path, then for
each process count the real server, 16 concurrent clients asking distinct users' feeds (warm and cold in turn),
search and similar; feed p50/p99, requests/s and the server's CPU seconds per request (the whole process tree).

    python bench/serve_processes.py --videos 100000 --events 1000000 --users 50000 --processes 1,2
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.serve_scale import TARGETS, Server, bench_workdir, load, pct, query_load, random_clip_checkpoint, server_env  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (children that exited are not counted)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(args, db: Path, env: dict[str, str], processes: int, target_ms: float) -> float:
    """One server with `processes` HTTP processes under the query load; returns feed requests/s."""
    server = Server(db, env, "--processes", str(processes))
    try:
        query_load(server.base, args.videos, args.users, 2, 5)  # warm up each process's caches a little
        cpu0, wall0 = tree_cpu_s(server.proc.pid), time.perf_counter()
        lat = query_load(server.base, args.videos, args.users, args.clients, args.requests)
        wall, cpu = time.perf_counter() - wall0, tree_cpu_s(server.proc.pid) - cpu0
    finally:
        server.stop()
    requests = sum(len(v) for v in lat.values())
    feeds = lat["feed warm"] + lat["feed cold"]
    for kind, values in lat.items():
        print(f"  --processes {processes}  {kind:<10} n={len(values):<5} p50 {pct(values, 50):7.1f} ms  p99 "
              f"{pct(values, 99):7.1f} ms" + (f"   target p99 <= {target_ms:.0f} ms" if "feed" in kind else ""),
              flush=True)
    rate = requests / wall
    print(f"  --processes {processes}  {requests} requests in {wall:.1f} s: {rate:.1f} requests/s, "
          f"{cpu / requests * 1000:.1f} ms of server CPU per request; feeds p99 {pct(feeds, 99):.1f} ms", flush=True)
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=40, help="requests per client and kind")
    ap.add_argument("--processes", default="1,2", help="comma-separated process counts, measured in turn")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    target_ms = TARGETS["feed_p99_ms"][1_000_000 if args.videos > 100_000 else 100_000]
    with bench_workdir(args.workdir, "reelsense-procs-") as workdir:
        env = server_env(workdir, random_clip_checkpoint(workdir.parent))
        load(args, workdir, workdir / "serve.db", env, http_events=0)
        rates = {n: measure(args, workdir / "serve.db", env, n, target_ms)
                 for n in (int(p) for p in args.processes.split(","))}
        base = rates[min(rates)]
        print("  throughput vs one process: " + ", ".join(f"{n}: {r / base:.2f}x" for n, r in rates.items()),
              f"({os.cpu_count()} cores)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
