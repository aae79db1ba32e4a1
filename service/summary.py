"""What `reelsense embed --show` (and so `make demo`) prints per video: a first look a new user can read.

Every hashtag (they are the creator's own words, so none is cut), the words read on screen, what the sound is
(with mood and danceability when the audio analysis found them), what the picture shows, and each source named in
plain words rather than by the extractor that produced it ("picture", not "frame_stats")."""
from __future__ import annotations

from pathlib import Path

# Tag sources in the order shown, each with the words a reader sees.
SOURCE_WORDS = {"hashtag": "hashtags", "category": "category", "topic": "topics", "keyword": "keywords",
                "audio": "sound", "visual": "picture", "frame_stats": "picture", "ocr": "on screen",
                "pacing": "pacing"}
MAX_LABELS = 5  # per source (hashtags excepted)
MAX_ONSCREEN_CHARS = 60


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def onscreen_words(record) -> str:
    """The words OCR read on screen, quoted and truncated, or "" when none were read."""
    visual = record.features.get("visual")
    lines = (visual.stats.get("onscreen_text") if visual else None) or []
    return truncate(" / ".join(str(line) for line in lines), MAX_ONSCREEN_CHARS) if lines else ""


def sound_details(record) -> tuple[list[str], set[str]]:
    """Mood and danceability when the audio analysis found them, and the sound tags they make redundant."""
    audio = record.features.get("audio")
    stats = audio.stats if audio else {}
    out, covered = [], set()
    if stats.get("mood"):
        out.append(f"mood {stats['mood']}")
        covered.add(str(stats["mood"]))
    if stats.get("danceability") is not None:
        out.append(f"danceability {float(stats['danceability']):.2f}")
        covered.add("danceable")
    return out, covered


def labels_by_source(record) -> dict[str, list[str]]:
    """Tag labels grouped under their plain source words, each group in score order, no label twice."""
    groups: dict[str, list[str]] = {}
    for tag in record.tags:
        if tag.source == "ocr":
            continue  # the words read are shown instead of the "on-screen text" tag
        words = SOURCE_WORDS.get(tag.source, tag.source.replace("_", " "))
        group = groups.setdefault(words, [])
        if tag.label not in group:
            group.append(tag.label)
    return groups


def summary_lines(record) -> str:
    """The weights line, then one line of words: every hashtag, the other sources' strongest labels, the
    on-screen words and the sound's mood and danceability."""
    weights = "  ".join(f"{m} {w:.2f}" for m, w in record.fused.weights.items())
    found = labels_by_source(record)
    details, covered = sound_details(record)
    found["sound"] = [label for label in found.get("sound", []) if label not in covered]
    order = [*dict.fromkeys(SOURCE_WORDS.values()), *found]
    groups = {words: found[words] for words in dict.fromkeys(order) if words in found}
    parts = []
    for words, labels in groups.items():
        shown = labels if words == "hashtags" else labels[:MAX_LABELS]
        shown = shown + details if words == "sound" else shown
        if shown:
            parts.append(f"{words}: {(' ' if words == 'hashtags' else ', ').join(shown)}")
    text = onscreen_words(record)
    if text:
        parts.append(f'on screen: "{text}"')
    body = "\n    ".join(parts) or "no tags"
    return f"{Path(record.path).name:<22} weights: {weights}\n    {body}"
