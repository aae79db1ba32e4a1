"""The content taxonomy shared by the text and visual extractors (data in taxonomy.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.json")


@dataclass(frozen=True)
class Category:
    id: str  # stable tag label, e.g. "food"
    label: str  # human name, e.g. "Food & cooking"
    description: str  # what belongs here; the text zero-shot classifiers embed

    @property
    def prompt(self) -> str:
        return f"{self.label}: {self.description}"


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> tuple[Category, ...]:
    data = json.loads(Path(path).read_text())
    return tuple(Category(c["id"], c["label"], c["description"]) for c in data["categories"])
