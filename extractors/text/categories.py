"""Zero-shot content categories of a text: the sentence embedding against each taxonomy category's prototype
(the shared `PrototypeClassifier`), with phrasings and temperature chosen for a sentence encoder.

Raw cosine similarities of a sentence encoder are all of a similar size (0.1-0.5), so the softmax runs at
a low temperature.
"""
from __future__ import annotations

from extractors.prototypes import Embed, PrototypeClassifier
from extractors.taxonomy import Category, load_taxonomy

# Fitted on tests/data/captions.jsonl with MiniLM (lowest log-loss of 0.02..0.1): the mean top probability
# (0.87) then matches the top-1 accuracy (0.87), i.e. scores read as rough probabilities of being right.
CATEGORY_TEMPERATURE = 0.03


def category_texts(category: Category) -> list[str]:
    """The phrasings of one category that are embedded and averaged into its prototype."""
    return [category.prompt, f"a video about {category.label.lower()}", category.description]


def category_classifier(embed: Embed, categories: tuple[Category, ...] | None = None,
                        temperature: float = CATEGORY_TEMPERATURE) -> PrototypeClassifier:
    """Prototypes of every taxonomy category for one sentence encoder (`embed` gives unit vectors)."""
    classes = [(c.id, category_texts(c)) for c in categories or load_taxonomy()]
    return PrototypeClassifier.from_phrasings(classes, embed, temperature)
