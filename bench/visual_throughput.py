"""Frames per second for decoding+sampling and for CLIP inference, measured separately.

CLIP here is open_clip ViT-B-32 built with random weights: the same architecture and compute as the
LAION checkpoint (which this machine cannot download), so the timing holds; the vectors mean nothing.

    python bench/visual_throughput.py [media_folder] [--threads N] [--batch 16] [--frames 64]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

TARGETS = {"video_s_per_s": 10.0, "clip_fps": 20.0}  # per CPU process; a GPU should beat clip_fps by far


def bench_decode(folder: Path) -> dict:
    from extractors.media import SamplingOptions, decode
    from extractors.visual.frame_stats import FaceCounter, compute_frame_stats

    options = SamplingOptions()
    files = sorted(folder.glob("*.mp4"))
    sampled = decoded = 0
    video_s = 0.0
    t0 = time.perf_counter()
    medias = []
    for path in files:
        media = decode(path, options=options)
        sampled += len(media.frames)
        decoded += media.decoded_frames
        video_s += media.info.duration_s
        medias.append(media)
    decode_s = time.perf_counter() - t0
    faces = FaceCounter()
    t1 = time.perf_counter()
    for m in medias:
        compute_frame_stats(m.frames, m.frame_times, m.info.duration_s, m.shot_starts, m.motion_per_s, faces)
    stats_s = time.perf_counter() - t1
    return {
        "files": len(files), "video_s": video_s, "decoded_frames": decoded, "sampled_frames": sampled,
        "decode_s": decode_s, "stats_s": stats_s, "frames": [f for m in medias for f in m.frames],
    }


def bench_clip(frames: list[np.ndarray], batch: int, device: str) -> dict:
    import open_clip
    import torch
    from PIL import Image

    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
    model.eval().to(device)
    with torch.inference_mode():  # warm-up
        model.encode_image(torch.stack([preprocess(Image.fromarray(frames[0]))]).to(device))
    t0 = time.perf_counter()
    pre = [preprocess(Image.fromarray(f)) for f in frames]
    t1 = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(pre), batch):
            out = model.encode_image(torch.stack(pre[start : start + batch]).to(device), normalize=True)
        if device == "cuda":
            torch.cuda.synchronize()
        _ = out.float().cpu()
    t2 = time.perf_counter()
    return {"preprocess_s": t1 - t0, "infer_s": t2 - t1, "n": len(frames)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parent.parent / "sample_media"))
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--frames", type=int, default=64, help="frames through CLIP")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clip-only", action="store_true", help="skip decoding; random 448x252 frames through CLIP")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clip_only:
        rng = np.random.default_rng(0)
        d = {"frames": [rng.integers(0, 255, (448, 252, 3), dtype=np.uint8) for _ in range(16)]}
    else:
        d = bench_decode(Path(args.folder))
        report_decode(d)
    frames = (d["frames"] * (args.frames // max(1, len(d["frames"])) + 1))[: args.frames]
    c = bench_clip(frames, args.batch, args.device)
    print(f"CLIP ViT-B-32 image tower, random weights (same compute as the LAION checkpoint), device={args.device}, "
          f"batch={args.batch}, torch threads={torch.get_num_threads()}:")
    print(f"  preprocess frames/s {c['n'] / c['preprocess_s']:8.1f}")
    print(f"  inference frames/s  {c['n'] / c['infer_s']:8.1f}   (target >= {TARGETS['clip_fps']:.0f} on CPU)")
    print(f"  end-to-end frames/s {c['n'] / (c['preprocess_s'] + c['infer_s']):8.1f}")


def report_decode(d: dict) -> None:
    print(f"decode+sampling: {d['files']} files, {d['video_s']:.1f} s of video, {d['decoded_frames']} frames decoded "
          f"(every frame checked for cuts), {d['sampled_frames']} sampled in {d['decode_s']:.2f} s")
    print(f"  decoded frames/s {d['decoded_frames'] / d['decode_s']:8.1f}")
    print(f"  sampled frames/s {d['sampled_frames'] / d['decode_s']:8.1f}")
    target = TARGETS["video_s_per_s"]
    print(f"  video seconds/s  {d['video_s'] / d['decode_s']:8.1f}   (target >= {target:.0f}x real time)")
    print(f"frame statistics (colour, faces): {d['sampled_frames'] / d['stats_s']:.1f} frames/s")


if __name__ == "__main__":
    main()
