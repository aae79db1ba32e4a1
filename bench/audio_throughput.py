"""Seconds of audio analysed per CPU-second by AudioExtractor (after warm-up), against a target.

Usage: python bench/audio_throughput.py [--seconds 120] [--repeats 3]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np

TARGET_AUDIO_S_PER_CPU_S = 30.0  # a 60 s clip must cost at most 2 s of CPU


def music(seconds: float, sr: int = 22050) -> np.ndarray:
    """Kick on each beat at 124 BPM, off-beat noise hats, an E major pad: like the sample clips."""
    rng = np.random.default_rng(0)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = sum(np.sin(2 * np.pi * f * t) for f in (164.81, 207.65, 246.94, 329.63)) * 0.08
    kick = np.sin(2 * np.pi * 60 * t[: int(0.15 * sr)]) * np.exp(-t[: int(0.15 * sr)] * 25)
    for start in np.arange(0, seconds, 60 / 124):
        i = int(start * sr)
        seg = y[i : i + kick.size]
        seg += 0.9 * kick[: seg.size]
        j = i + int(30 / 124 * sr)
        hat = y[j : j + 900]
        hat += rng.standard_normal(hat.size) * 0.15 * np.exp(-np.arange(hat.size) / sr * 90)
    return y.astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from extractors.audio import AudioExtractor

    t0 = time.process_time()
    extractor = AudioExtractor(warm_up=True)
    warm = time.process_time() - t0
    y = music(args.seconds)
    cpu = []
    for _ in range(args.repeats):
        start = time.process_time()
        stats = extractor.extract_samples(y, 22050).stats
        cpu.append(time.process_time() - start)
    best = min(cpu)
    rate = args.seconds / best
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"warm-up (import + JIT/cache): {warm:.2f} CPU-s")
    print(f"audio: {args.seconds:.0f} s, best of {args.repeats}: {best:.3f} CPU-s, "
          f"bpm={stats['bpm']} key={stats['key']} {stats['mode']}")
    print(f"throughput: {rate:.1f} s of audio per CPU-second (target >= {TARGET_AUDIO_S_PER_CPU_S:.0f}) "
          f"{'OK' if rate >= TARGET_AUDIO_S_PER_CPU_S else 'BELOW TARGET'}; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
