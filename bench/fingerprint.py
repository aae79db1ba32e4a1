"""Same-sound and duplicate matching: precision and recall over generated pairs, cost per video, lookup at scale.

1. Generated clips (tests/helpers/soundtracks.py: the test set plus `--songs` more songs, each with an excerpt
   under another picture, a downscaled 2 s-trimmed low-bitrate copy and a letterboxed copy) and the sample
   clips are embedded with the real CLI (`reelsense embed`, OCR off); the store's sound ids and
   `reelsense duplicates --json` groups are scored against the truth, pair by pair. Pairwise matching of the
   prints alone (every pair, no transitivity) is scored too, with the false-match rate.
2. Cost per video of the fingerprint and the frame hashes (decoded media in memory), in ms.
3. Lookup at `--videos` stored videos (synthetic prints written to a real store): the indexed sound and
   picture lookup a new upload runs, and the trending-sounds query over `--events` recent events.

Usage: python bench/fingerprint.py [--songs 6] [--videos 100000] [--hashes 330] [--events 200000]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"precision": 0.99, "recall": 0.95, "cost_ms_per_30s": 60.0, "lookup_ms_p95": 50.0}


def make_clips(folder: Path, songs: int) -> tuple[dict[str, Path], dict[str, str], dict[str, str]]:
    """Clips with their song (same-sound truth) and their content group (duplicate truth)."""
    from tests.helpers import SAMPLE_MEDIA
    from tests.helpers.soundtracks import COPIES, SOUND_OF, SR, make_sound_clips, picture, track, transcode, write_video

    paths = make_sound_clips(folder)
    song_of, content_of = dict(SOUND_OF), {name: COPIES.get(name, name) for name in paths}
    for s in range(songs):
        song = track(100 + s, 16.0, bpm=120, key="A", mode="minor")  # all at one tempo and key: the hard case
        base = f"x{s}"
        paths[f"{base}_a"] = write_video(folder / f"{base}_a.mp4", 16.0, song, picture(200 + s))
        paths[f"{base}_b_excerpt"] = write_video(folder / f"{base}_b_excerpt.mp4", 8.0, song[int(4.0 * SR):],
                                                 picture(300 + s))
        paths[f"{base}_c_copy"] = transcode(paths[f"{base}_a"], folder / f"{base}_c_copy.mp4", scale=0.5,
                                            trim_s=2.0, audio_bitrate=32000)
        paths[f"{base}_d_letterbox"] = transcode(paths[f"{base}_a"], folder / f"{base}_d_letterbox.mp4", scale=0.5,
                                                 letterbox=(144, 144), volume=0.5)
        for suffix in ("a", "b_excerpt", "c_copy", "d_letterbox"):
            song_of[f"{base}_{suffix}"] = base
        content_of.update({f"{base}_a": base, f"{base}_b_excerpt": f"{base}_b", f"{base}_c_copy": base,
                           f"{base}_d_letterbox": base})
    for p in sorted(SAMPLE_MEDIA.glob("*.mp4")):
        paths[p.stem] = p
        song_of[p.stem], content_of[p.stem] = p.stem, p.stem
    return paths, song_of, content_of


def scores(predicted: set, truth: set, pairs: int) -> dict[str, float]:
    tp = len(predicted & truth)
    return {"precision": tp / len(predicted) if predicted else 1.0, "recall": tp / len(truth) if truth else 1.0,
            "false_match_rate": len(predicted - truth) / max(1, pairs - len(truth)), "pairs": pairs,
            "true_pairs": len(truth), "predicted_pairs": len(predicted)}


def truth_pairs(names: list[str], label: dict[str, str]) -> set:
    return {frozenset(p) for p in itertools.combinations(names, 2) if label[p[0]] == label[p[1]]}


# -- 1. matching over the generated pairs ------------------------------------------------------------
def pairwise(paths: dict[str, Path], song_of: dict[str, str], content_of: dict[str, str]) -> dict:
    """Every pair matched on its prints alone, and the cost of computing the prints."""
    from extractors.audio.fingerprint import align, fingerprint, is_same_sound
    from extractors.media import decode
    from extractors.visual.framehash import compare, frame_print, is_duplicate

    prints, cost = {}, []
    fingerprint(np.zeros(22050 * 2, np.float32) + 0.01, 22050)  # imports and first-call set-up out of the timing
    for name, path in paths.items():
        media = decode(path)
        t0 = time.perf_counter()
        sound = fingerprint(media.audio, media.sample_rate)
        t1 = time.perf_counter()
        frames = frame_print(media.frames, media.frame_times)
        t2 = time.perf_counter()
        prints[name] = (sound, frames)
        cost.append((media.info.duration_s, (t1 - t0) * 1000, (t2 - t1) * 1000, len(media.frames)))
    names = sorted(prints)
    same, dup = set(), set()
    for a, b in itertools.combinations(names, 2):
        (sa, fa), (sb, fb) = prints[a], prints[b]
        matched = False
        if not sa.empty and not sb.empty:
            shared = np.isin(sb.hashes, sa.hashes)
            alignment = align(sa, sb.hashes[shared], sb.times[shared])
            matched = is_same_sound(alignment, sa, sb.seconds, sb.hashes.size)
            if matched:
                same.add(frozenset((a, b)))
        if (matched or sa.empty or sb.empty) and is_duplicate(
                compare(fa, fb, alignment.offset_s if matched else None), fa, fb):
            dup.add(frozenset((a, b)))
    pairs = len(names) * (len(names) - 1) // 2
    with_sound = [n for n in names if not prints[n][0].empty]
    return {"same_sound": scores(same, truth_pairs(with_sound, song_of), pairs),
            "duplicates": scores(dup, truth_pairs(names, content_of), pairs), "cost": cost}


def through_the_cli(paths: dict[str, Path], song_of: dict[str, str], content_of: dict[str, str],
                    work: Path) -> dict:
    """`reelsense embed` every clip into a store, then score its sound ids and `reelsense duplicates` groups."""
    import shutil

    from service.storage import Store

    folder = work / "embed"
    folder.mkdir()
    for name, path in paths.items():
        shutil.copy(path, folder / f"{name}.mp4")
    db = work / "bench.db"
    env = {**os.environ, "REELSENSE_OCR_ENABLED": "false", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
           "REELSENSE_DATA_DIR": str(work / "data")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "embed", str(folder), "--db", str(db), "--quiet"],
                   check=True, env=env)
    embed_s = time.perf_counter() - t0
    out = subprocess.run([sys.executable, "-m", "service.cli", "duplicates", "--db", str(db), "--json"],
                         check=True, env=env, capture_output=True, text=True).stdout
    with Store(db) as store:
        name_of = {vid: Path(store.get(vid).path).stem for vid in store.ids()}
        sound_of = {name_of[v]: s for v, s in store.sound_ids(list(name_of)).items()}
    group_of = {name: name for name in name_of.values()}
    for group in json.loads(out):
        for member in [group["original"], *(c["video_id"] for c in group["copies"])]:
            group_of[name_of[member]] = name_of[group["original"]]
    names = sorted(name_of.values())
    pairs = len(names) * (len(names) - 1) // 2
    same = {frozenset(p) for p in itertools.combinations(sorted(sound_of), 2) if sound_of[p[0]] == sound_of[p[1]]}
    dup = {frozenset(p) for p in itertools.combinations(names, 2) if group_of[p[0]] == group_of[p[1]]}
    return {"same_sound": scores(same, truth_pairs(sorted(sound_of), song_of), pairs),
            "duplicates": scores(dup, truth_pairs(names, content_of), pairs), "embed_s": embed_s, "videos": len(names)}


# -- 3. lookup at scale ----------------------------------------------------------------------------------
def synthetic_store(db: Path, videos: int, hashes: int, events: int, sounds: int, rng: np.random.Generator):
    """A real store holding `videos` videos with random prints (24-bit hashes, 8 frame hashes each) over `sounds`
    sounds, and `events` events in the last day (written through the store, so the trigger counts them); returns
    (store, the first video's print, to query an excerpt of). Postings are written in hash order."""
    from extractors.audio.fingerprint import FINGERPRINT_VERSION
    from extractors.visual.framehash import FRAME_HASH_VERSION
    from service.storage import Store
    from service.storage.prints import frame_bands

    store = Store(db)
    now = time.time()
    all_h = rng.integers(0, 1 << 24, (videos, hashes), dtype=np.uint32)
    all_t = np.sort(rng.integers(0, int(12 / 0.0232), (videos, hashes)), axis=1).astype(np.int32)
    all_f = rng.integers(0, 1 << 63, (videos, 8), dtype=np.uint64)
    created = now - rng.uniform(0, 30 * 86400, videos)
    popularity = 1.0 / np.arange(1, sounds + 1)  # sound k is used in proportion to 1/k, as trends are
    sound_of = rng.choice(sounds, videos, p=popularity / popularity.sum())
    ids = [f"{i:064x}" for i in range(videos)]
    with store.transaction() as conn:
        conn.executemany("INSERT INTO videos VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         ((ids[i], "", "", "", "[]", "", 12.0, "{}", "{}", "bench", b"\0" * 4, "[]", float(created[i]))
                          for i in range(videos)))
        conn.executemany("INSERT INTO media_prints(print_id, video_id, sound_version, sound_hashes, sound_times, "
                         "sound_seconds, sound_id, sound_offset_s, sound_matched, frame_version, frame_hashes, "
                         "frame_times, duplicate_of, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
            (i + 1, ids[i], FINGERPRINT_VERSION, all_h[i].astype("<u4").tobytes(), all_t[i].astype("<i4").tobytes(),
             12.0, ids[int(sound_of[i])][:16], 0.0, None, FRAME_HASH_VERSION, all_f[i].astype("<u8").tobytes(),
             np.arange(8, dtype="<f8").tobytes(), None, float(created[i])) for i in range(videos)))
        flat_h, flat_p = all_h.reshape(-1), np.repeat(np.arange(1, videos + 1), hashes)
        flat_t = all_t.reshape(-1)
        order = np.lexsort((flat_t, flat_p, flat_h))
        for start in range(0, order.size, 1_000_000):
            part = order[start : start + 1_000_000]
            conn.executemany("INSERT OR IGNORE INTO sound_hashes VALUES (?,?,?)",
                             zip(flat_h[part].tolist(), flat_p[part].tolist(), flat_t[part].tolist(), strict=True))
        bands = sorted((k, i + 1) for i in range(videos) for k in frame_bands(all_f[i]))
        conn.executemany("INSERT OR IGNORE INTO frame_bands VALUES (?,?)", bands)
    event_rows = sorted(((f"u{rng.integers(0, 10000)}", ids[int(rng.integers(0, videos))],
                          ["view", "like", "share"][int(rng.integers(0, 3))], now - float(rng.uniform(0, 86400)), None,
                          float(rng.uniform(0, 1))) for _ in range(events)), key=lambda e: e[3])
    for start in range(0, len(event_rows), 10_000):
        store.add_events(event_rows[start : start + 10_000])
    return store, (all_h[0], all_t[0], all_f[0])


def lookups(store, kept, repeats: int, rng: np.random.Generator) -> dict:
    """Time the lookup an upload runs (sound hashes + picture bands, candidates verified) and trending."""
    from extractors.audio.fingerprint import HOP_S, SoundPrint
    from extractors.visual.framehash import FramePrint
    from service.config import Settings
    from service.recommend.sounds import engagement_weights

    h, t, _ = kept
    half = slice(h.size // 4, 3 * h.size // 4)
    excerpt = SoundPrint(h[half], t[half] - t[half][0], 6.0)
    unrelated = SoundPrint(rng.integers(0, 1 << 24, h.size, dtype=np.uint32), t, 12.0)
    frames = FramePrint(rng.integers(0, 1 << 63, 8, dtype=np.uint64), np.arange(8, dtype=np.float64))
    timings: dict[str, list[float]] = {"excerpt of a stored video": [], "unknown sound": [], "trending 24 h": []}
    found = None
    for _ in range(repeats):
        for label, query in (("excerpt of a stored video", excerpt), ("unknown sound", unrelated)):
            t0 = time.perf_counter()
            with store.lock:
                matches = store._sound_matches(query)
                store._find_original(query, frames, matches)
            timings[label].append((time.perf_counter() - t0) * 1000)
            if label.startswith("excerpt"):
                found = matches[0].alignment.offset_s if matches else None
        t0 = time.perf_counter()
        store.trending_sounds(time.time() - 86400, engagement_weights(Settings().signals), 20)
        timings["trending 24 h"].append((time.perf_counter() - t0) * 1000)
    return {"timings": timings, "excerpt_offset_s": found, "expected_offset_s": round(float(t[half][0]) * HOP_S, 3)}


# -- report ----------------------------------------------------------------------------------------------
def show_scores(title: str, figures: dict) -> None:
    for kind in ("same_sound", "duplicates"):
        s = figures[kind]
        print(f"  {title:<9} {kind:<10}  precision {s['precision']:.3f} (target >= {TARGETS['precision']})  "
              f"recall {s['recall']:.3f} (target >= {TARGETS['recall']})  false-match rate "
              f"{s['false_match_rate']:.4f}  [{s['true_pairs']} true / {s['predicted_pairs']} predicted of "
              f"{s['pairs']} pairs]")


def show_cost(cost: list[tuple]) -> None:
    seconds = np.array([c[0] for c in cost])
    sound, frames = np.array([c[1] for c in cost]), np.array([c[2] for c in cost])
    per_30s = (sound / np.maximum(seconds, 1e-3) * 30).mean()
    print(f"  cost per video ({len(cost)} clips of {seconds.mean():.1f} s on average): sound print "
          f"{sound.mean():.1f} ms (p95 {np.percentile(sound, 95):.1f}), frame hashes {frames.mean():.1f} ms "
          f"(p95 {np.percentile(frames, 95):.1f}, {np.mean([c[3] for c in cost]):.1f} frames)")
    print(f"  sound print per 30 s of audio: {per_30s:.1f} ms (target <= {TARGETS['cost_ms_per_30s']:.0f} ms)")


def matching(work: Path, songs: int) -> None:
    paths, song_of, content_of = make_clips(work / "clips", songs)
    print(f"matching over {len(paths)} clips (generated and sample):")
    pair_figures = pairwise(paths, song_of, content_of)
    show_scores("pairwise", pair_figures)
    show_scores("store", through_the_cli(paths, song_of, content_of, work))
    show_cost(pair_figures["cost"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=6, help="generated songs beyond the test set")
    parser.add_argument("--videos", type=int, default=100_000, help="stored videos for the lookup timing")
    parser.add_argument("--hashes", type=int, default=330, help="hashes per synthetic video (about 10 s of music)")
    parser.add_argument("--events", type=int, default=200_000, help="events in the last day for trending")
    parser.add_argument("--sounds", type=int, default=10_000, help="distinct sounds among the synthetic videos")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lookup-only", action="store_true", help="skip the matching figures")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.lookup_only:
            matching(work, args.songs)
        t0 = time.perf_counter()
        store, kept = synthetic_store(work / "big.db", args.videos, args.hashes, args.events, args.sounds, rng)
        build_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in work.glob("big.db*")) / 1e6
        print(f"lookup at {args.videos} stored videos ({args.videos * args.hashes / 1e6:.0f} M hash postings, "
              f"{args.sounds} sounds, {args.events} events in the last day; {size_mb:.0f} MB, built in "
              f"{build_s:.0f} s), {args.repeats} repeats:")
        figures = lookups(store, kept, args.repeats, rng)
        for label, ms in figures["timings"].items():
            print(f"  {label:<26} p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms  "
                  f"(target p95 <= {TARGETS['lookup_ms_p95']:.0f} ms)")
        print(f"  excerpt found at offset {figures['excerpt_offset_s']} s (stored at {figures['expected_offset_s']} s)")
        store.close()


if __name__ == "__main__":
    main()
