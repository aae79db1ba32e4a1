"""The peer in bench/embed_throughput.py: how a user typically embeds videos with CLIP in a short script.

OpenCV reads every frame of each video and keeps one a second, open_clip's own PIL preprocessing prepares
them, and the fp32 model embeds each video's frames in one batch (on CUDA when there is one); the video vector
is the mean of its frame vectors. One process, one video after another. Prints a JSON line with its stage
seconds; the bench times the whole command.

    python bench/user_pipeline.py --model ViT-B-32 --checkpoint PATH FILE...
"""
from __future__ import annotations

import argparse
import json
import time


def read_frames(path: str):
    """Every frame decoded, one a second kept (as RGB), the way a cv2.VideoCapture loop usually does it."""
    import cv2

    capture = cv2.VideoCapture(path)
    step = max(1, round(capture.get(cv2.CAP_PROP_FPS) or 30))
    kept, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % step == 0:
            kept.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        index += 1
    capture.release()
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    import numpy as np
    import open_clip
    import torch
    from PIL import Image

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, _, preprocess = open_clip.create_model_and_transforms(args.model, pretrained=args.checkpoint, device=device)
    model.eval()
    seconds = {"decode": 0.0, "preprocess": 0.0, "clip": 0.0}
    vectors = []
    for path in args.files:
        t0 = time.perf_counter()
        frames = read_frames(path)
        t1 = time.perf_counter()
        batch = torch.stack([preprocess(Image.fromarray(f)) for f in frames]).to(device)
        t2 = time.perf_counter()
        with torch.no_grad():
            embedded = model.encode_image(batch)
            embedded = embedded / embedded.norm(dim=-1, keepdim=True)
            vectors.append(embedded.mean(dim=0).cpu().numpy())
        t3 = time.perf_counter()
        seconds["decode"] += t1 - t0
        seconds["preprocess"] += t2 - t1
        seconds["clip"] += t3 - t2
    print(json.dumps({"videos": len(vectors), "dim": int(np.stack(vectors).shape[1]), "stage_seconds": seconds}))


if __name__ == "__main__":
    main()
