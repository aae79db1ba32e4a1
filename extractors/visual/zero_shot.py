"""CLIP zero-shot classes: the shared taxonomy and a list of scenes, each class a prompt ensemble.

Prompts are embedded with CLIP's text tower and averaged into one prototype per class (the shared
`PrototypeClassifier`); frames are scored with a softmax at CLIP's own learned temperature and the
probabilities are averaged over frames.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from extractors.prototypes import Embed, PrototypeClassifier
from extractors.taxonomy import load_taxonomy

SCENES_FILE = Path(__file__).with_name("scenes.json")


def _phrases(description: str, limit: int = 3) -> list[str]:
    """'recipes, cooking, baking and meals' -> ['recipes', 'cooking', 'baking']."""
    parts = [p.strip() for p in re.split(r",| and ", description) if p.strip()]
    return parts[:limit]


def zero_shot_classes() -> dict[str, list[tuple[str, list[str]]]]:
    """Group ("taxonomy", "scene") -> [(class id, prompts)], each class's prompts an ensemble of templates."""
    data = json.loads(SCENES_FILE.read_text())
    templates = data["templates"]
    taxonomy = [
        (c.id, [t.format(p) for p in [c.label.lower(), *_phrases(c.description)] for t in templates])
        for c in load_taxonomy()
    ]
    scenes = [(sc["id"], [t.format(p) for p in sc["phrases"] for t in templates]) for sc in data["scenes"]]
    return {"taxonomy": taxonomy, "scene": scenes}


def zero_shot_classifiers(embed_text: Embed, logit_scale: float) -> dict[str, PrototypeClassifier]:
    """One classifier per group, prototypes from CLIP's text tower, softmax at CLIP's temperature."""
    return {group: PrototypeClassifier.from_phrasings(classes, embed_text, 1.0 / logit_scale)
            for group, classes in zero_shot_classes().items()}
