"""Shared test helpers: paths of the repository and its sample media, sidecar reading, the tiny CLIP config.

Fixtures live in conftest.py; plain values and functions live here so test modules import them directly.
"""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_MEDIA = REPO / "sample_media"

# A tiny open_clip architecture (random weights saved to disk by the `tiny_clip` fixture): same loading
# path as a real checkpoint, a fraction of the compute.
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def sidecar(name: str) -> dict:
    """The JSON sidecar of a sample clip (its words and the `generated` block recording how it was made)."""
    return json.loads((SAMPLE_MEDIA / f"{name}.json").read_text())
