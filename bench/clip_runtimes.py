"""CLIP image-tower runtimes on this CPU, side by side: images/s and the cosine of each one's vectors to torch fp32.

Runs the product's own path (VisualExtractor.embed_frames: batched tensor preprocessing, then the tower) for
torch fp32, torch bf16 and ONNX Runtime fp32/int8 (REELSENSE_CLIP_RUNTIME), alternating the runtimes round by round
so a busy machine slows every one alike. ViT-B-32 with random weights (no pretrained download here): the same
compute as the LAION checkpoint.

    python bench/clip_runtimes.py [--frames 64] [--rounds 2] [--batch 32]
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

CASES = {"torch fp32": ("torch", "fp32"), "torch bf16": ("torch", "bf16"), "onnx fp32": ("onnx", "fp32"),
         "onnx int8": ("onnx-int8", "fp32")}
MIN_COSINE = 0.995  # extractors.visual.runtime.MIN_COSINE: what keeps the embedding-space id


def cpu_line() -> str:
    flags = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((line.split(":", 1)[1].strip() for line in flags.splitlines() if line.startswith("Model name")), "?")
    found = [f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16") if f" {f}" in flags]
    return f"{model} ({platform.machine()}), flags: {' '.join(found)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    import open_clip
    import torch

    from extractors.visual import ClipSpec, VisualExtractor, VisualOptions

    work = Path(tempfile.mkdtemp(prefix="clip-runtimes-"))
    torch.manual_seed(0)
    checkpoint = work / "vit-b-32-random.pt"
    torch.save(open_clip.create_model("ViT-B-32").state_dict(), checkpoint)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8) for _ in range(args.frames)]
    options = VisualOptions(batch_size=args.batch, ocr=False, zero_shot=False)
    extractors = {name: VisualExtractor(ClipSpec("ViT-B-32", str(checkpoint), precision=precision, runtime=runtime),
                                        strict=True, options=options, cache_dir=work)
                  for name, (runtime, precision) in CASES.items()}
    reference = extractors["torch fp32"].embed_frames(frames[:8])
    seconds = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, extractor in extractors.items():
            extractor.embed_frames(frames[:4])  # warm
            started = time.perf_counter()
            extractor.embed_frames(frames)
            seconds[name].append(time.perf_counter() - started)
    print(f"CLIP ViT-B-32 image tower, {args.frames} 720p frames, batch {args.batch}, torch threads "
          f"{torch.get_num_threads()}, {args.rounds} alternated rounds; {cpu_line()}")
    print(f"{'runtime':<12} {'images/s':>9} {'x fp32':>7} {'cosine':>8}")
    base = args.frames / min(seconds["torch fp32"])
    for name, extractor in extractors.items():
        rate = args.frames / min(seconds[name])
        cosine = float(np.min(np.sum(extractor.embed_frames(frames[:8]) * reference, axis=1)))
        keeps = "" if cosine >= MIN_COSINE else "  (below the space's 0.995: refused)"
        print(f"{name:<12} {rate:9.1f} {rate / base:7.2f} {cosine:8.5f}{keeps}")


if __name__ == "__main__":
    main()
