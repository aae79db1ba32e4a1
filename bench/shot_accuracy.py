"""Shot-cut accuracy and decode cost of each decode mode ("full", "reference", "fast").

Videos, with their true cuts:
  * PySceneDetect's public test videos, not in this repository: they are in the `resources` branch of
    https://github.com/Breakthrough/PySceneDetect under tests/resources/; copy them into --scenedetect
    (`git clone --depth 1 --branch resources https://github.com/Breakthrough/PySceneDetect`):
    testvideo.mp4 (cuts at frames 30, 180, 394; the last is a fade-in from black) and goldeneye-vfr-drop3.mp4
    (cuts at frames 90, 210 of the 24000/1001 fps timeline; every third frame dropped), as their ContentDetector
    goldens list them;
  * generated 30 s 720p clips (bench/clips.py) with cuts every 2-6 s, encoded with x264 scene-cut keyframes
    and with a fixed keyframe cadence (scenecut=0, like many hardware encoders);
  * the bundled sample clips that have hard cuts (sidecar `cut_every_s`).

A detected cut matches a true one within --tolerance seconds (one detection per true cut).

    python bench/shot_accuracy.py [--scenedetect DIR] [--cache DIR] [--clips 4]

Both folders default to ~/.cache/reelsense-bench (REELSENSE_BENCH_CACHE), scenedetect/ under it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

MODES = ("full", "reference", "fast")
BENCH_CACHE = Path(os.environ.get("REELSENSE_BENCH_CACHE", Path.home() / ".cache" / "reelsense-bench"))
SCENEDETECT = {  # file: (true cut frames, frame rate of that numbering), from PySceneDetect's goldens
    "testvideo.mp4": ([30, 180, 394], 30000 / 1001),
    "goldeneye-vfr-drop3.mp4": ([90, 210], 24000 / 1001),
}


@dataclass
class Score:
    true: int = 0
    found: int = 0
    detected: int = 0
    seconds: float = 0.0
    frames: int = 0
    error_s: float = 0.0  # summed |detected - true| over matched cuts

    def add(self, truth: list[float], cuts: list[float], tolerance: float) -> None:
        free = list(cuts)
        for t in truth:
            near = [c for c in free if abs(c - t) <= tolerance]
            if near:
                best = min(near, key=lambda c: abs(c - t))
                free.remove(best)
                self.found += 1
                self.error_s += abs(best - t)
        self.true += len(truth)
        self.detected += len(cuts)

    def line(self) -> str:
        recall = self.found / self.true if self.true else math.nan
        precision = self.found / self.detected if self.detected else math.nan
        error_ms = 1000 * self.error_s / self.found if self.found else math.nan
        return (f"recall {self.found}/{self.true} ({recall:.0%}), precision {precision:.0%}, "
                f"mean error {error_ms:.0f} ms, decoded {self.frames} frames in {self.seconds:.2f} s")


def _sets(args) -> dict[str, list[tuple[Path, list[float]]]]:
    from clips import ClipSpec, ensure_clips

    sets: dict[str, list[tuple[Path, list[float]]]] = {}
    folder = Path(args.scenedetect)
    found = [(folder / name, [f / fps for f in frames]) for name, (frames, fps) in SCENEDETECT.items()
             if (folder / name).is_file()]
    if found:
        sets["PySceneDetect videos"] = found
    else:
        print(f"PySceneDetect videos not found in {folder}: skipped (see the module docstring)")
    for label, spec in (("generated, x264 scene-cut keyframes", ClipSpec()),
                        ("generated, fixed keyframe cadence", ClipSpec(scenecut=False))):
        paths = ensure_clips(Path(args.cache), args.clips, spec)
        sets[label] = [(p, _frame_aligned(json.loads(p.with_suffix(".json").read_text())["generated"]))
                       for p in paths]
    samples = []
    for sidecar in sorted((REPO / "sample_media").glob("*.json")):
        gen = json.loads(sidecar.read_text())["generated"]
        if gen.get("cut_every_s"):
            step = gen["cut_every_s"]
            truth = [step * i for i in range(1, math.ceil(gen["seconds"] / step))]
            samples.append((sidecar.with_suffix(".mp4"), truth))
    sets["bundled sample clips with cuts"] = samples
    return sets


def _frame_aligned(generated: dict) -> list[float]:
    """True cut times as the first frame shown at or after each generated cut."""
    fps = generated["fps"]
    return [math.ceil(c * fps - 1e-6) / fps for c in generated["cuts"][1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenedetect", default=str(BENCH_CACHE / "scenedetect"))
    parser.add_argument("--cache", default=str(BENCH_CACHE), help="generated clips are kept here")
    parser.add_argument("--clips", type=int, default=4, help="generated clips per encoder setting")
    parser.add_argument("--tolerance", type=float, default=0.2, help="seconds between a true and a detected cut")
    args = parser.parse_args()

    from extractors.media import SamplingOptions, decode

    for label, videos in _sets(args).items():
        print(f"\n{label} ({len(videos)} videos):")
        for mode in MODES:
            score = Score()
            options = SamplingOptions(decode_mode=mode, decoder_threads=1)
            for path, truth in videos:
                t0 = time.perf_counter()
                media = decode(path, options=replace(options))
                score.seconds += time.perf_counter() - t0
                score.frames += media.decoded_frames
                score.add(truth, media.shot_starts[1:], args.tolerance)
            print(f"  {mode:<9} {score.line()}")


if __name__ == "__main__":
    main()
