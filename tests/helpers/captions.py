"""The project's labelled captions (tests/data/captions.jsonl): text and taxonomy category per line."""
from __future__ import annotations

import json

from tests.helpers import REPO

CAPTIONS_FILE = REPO / "tests" / "data" / "captions.jsonl"


def labelled_captions() -> list[dict]:
    return [json.loads(line) for line in CAPTIONS_FILE.read_text().splitlines() if line.strip()]
