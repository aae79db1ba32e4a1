"""Batch-embedding throughput: does decoding and feature work hide behind model inference?

Measures, on the bundled sample media (repeated --repeat times):
  * model-inference-only time: every model forward pass the pipeline makes (CLIP image encoding of
    the sampled frames, OCR on its chosen frames, the text encoder on the words), run back to back on
    inputs decoded beforehand;
  * end-to-end wall time of `Analyzer.analyze_many` (decode, audio, text, CLIP, fusion) over the same files;
  * the seconds each stage took (summed over files; stages overlap, so they add up to more than wall time).
Target: end-to-end / inference-only <= 1.15.

CLIP is ViT-B-32 with random weights unless --clip-pretrained names a checkpoint: the compute is the
same as with trained weights, which is all a throughput figure needs.

    python bench/embed_throughput.py [--repeat 3] [--clip-pretrained PATH]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_RATIO = 1.15


def random_vit_b32(folder: Path) -> Path:
    import open_clip
    import torch

    model = open_clip.create_model("ViT-B-32")
    path = folder / "vit-b-32-random.pt"
    torch.save(model.state_dict(), path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="how many times the sample folder is embedded")
    parser.add_argument("--clip-pretrained", help="CLIP checkpoint path (default: ViT-B-32 with random weights)")
    parser.add_argument("--media", default=str(REPO / "sample_media"))
    args = parser.parse_args()

    from service.config import Settings
    from service.factory import Components
    from service.pipeline import find_videos

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.clip_pretrained or str(random_vit_b32(Path(tmp)))
        settings = Settings(data_dir=Path(tmp), clip_model="ViT-B-32", clip_pretrained=checkpoint)
        t0 = time.perf_counter()
        analyzer = Components(settings).analyzer
        load_s = time.perf_counter() - t0
        files = find_videos(Path(args.media)) * args.repeat
        analyzer.analyze(files[0])  # warm caches and thread pools once

        prepared = [analyzer.prepare(p) for p in files]
        inference: dict[str, float] = defaultdict(float)
        for item in prepared:
            t0 = time.perf_counter()
            analyzer.visual.embed_frames(item.media.frames)
            t1 = time.perf_counter()
            analyzer.visual.read_text(item.media)
            t2 = time.perf_counter()
            analyzer.text.extract(item.meta)
            t3 = time.perf_counter()
            inference["clip"] += t1 - t0
            inference["ocr"] += t2 - t1
            inference["text"] += t3 - t2
        inference_s = sum(inference.values())
        frames = sum(len(item.media.frames) for item in prepared)
        del prepared

        stages: dict[str, float] = defaultdict(float)
        t0 = time.perf_counter()
        count = 0
        for _path, _record, error, seconds in analyzer.analyze_many(files):
            if error is not None:
                raise SystemExit(f"unexpected failure on {_path}: {error}")
            count += 1
            for stage, s in seconds.items():
                stages[stage] += s
        e2e_s = time.perf_counter() - t0

    ratio = e2e_s / inference_s
    print(f"files: {count} ({len(files) // args.repeat} clips x {args.repeat}), frames: {frames}, "
          f"cores: {os.cpu_count()}, device: {settings.torch_device}")
    print(f"model load: {load_s:.1f} s (once per process, excluded)")
    summed = ", ".join(f"{k} {v:.2f}" for k, v in sorted(stages.items()))
    print(f"stage seconds (summed over files, overlapping): {summed}")
    parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(inference.items()))
    print(f"inference only: {inference_s:.2f} s ({parts}; CLIP {frames / inference['clip']:.1f} frames/s)")
    print(f"end to end:     {e2e_s:.2f} s ({count / e2e_s:.2f} videos/s)")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"end-to-end / inference-only = {ratio:.2f} (target <= {TARGET_RATIO}; {verdict} it)")


if __name__ == "__main__":
    main()
