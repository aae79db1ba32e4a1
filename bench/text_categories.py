"""Category accuracy of the text extractor on the project's labelled captions, and encoding speed.

Run: python bench/text_categories.py [--model NAME_OR_PATH] [--temperature T]
Prints top-1 / top-3 accuracy against targets, the most common confusions, and captions per second.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from extractors.text import OFFLINE_MINILM, TextExtractor
from extractors.text.categories import CATEGORY_TEMPERATURE

CAPTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "captions.jsonl"
TARGETS = {"top1": 0.75, "top3": 0.90, "captions_per_s": 50.0}


def load_captions(path: Path = CAPTIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(extractor: TextExtractor, captions: list[dict]) -> dict:
    """Top-1 / top-3 accuracy of the category probabilities, and the confusions behind the misses."""
    t0 = time.perf_counter()
    vectors = extractor.text_vectors([c["text"] for c in captions])
    seconds = time.perf_counter() - t0
    probs = extractor.categories.probabilities(vectors)
    ids = extractor.categories.ids
    top1 = top3 = 0
    confusions: Counter = Counter()
    for caption, p in zip(captions, probs, strict=True):
        order = [ids[i] for i in p.argsort()[::-1][:3]]
        top1 += order[0] == caption["category"]
        top3 += caption["category"] in order
        if order[0] != caption["category"]:
            confusions[(caption["category"], order[0])] += 1
    n = len(captions)
    truth = np.array([ids.index(c["category"]) for c in captions])
    log_loss = float(-np.mean(np.log(probs[np.arange(n), truth] + 1e-12)))
    return {"n": n, "top1": top1 / n, "top3": top3 / n, "captions_per_s": n / seconds, "confusions": confusions,
            "mean_top_prob": float(probs.max(axis=1).mean()), "log_loss": log_loss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=OFFLINE_MINILM)
    parser.add_argument("--temperature", type=float, default=CATEGORY_TEMPERATURE)
    args = parser.parse_args()
    extractor = TextExtractor(args.model, category_temperature=args.temperature)
    _ = extractor.categories  # build prototypes before timing
    extractor.text_vectors(["warm up"])
    result = evaluate(extractor, load_captions())
    print(f"captions: {result['n']}  model: {extractor.model}")
    for key, target in TARGETS.items():
        print(f"{key:>15}: {result[key]:.3f}  (target >= {target})")
    print(f"calibration: mean top probability {result['mean_top_prob']:.3f} vs top-1 accuracy {result['top1']:.3f}; "
          f"log loss {result['log_loss']:.3f} (temperature {args.temperature:g})")
    print("most common confusions (true -> predicted):")
    for (truth, guess), count in result["confusions"].most_common(12):
        print(f"  {truth} -> {guess}: {count}")


if __name__ == "__main__":
    main()
