"""What every extractor shares: the words of a video, the features it returns, and the protocol it follows
(see ARCHITECTURE.md, "Contracts")."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from extractors.media import DecodedMedia

HASHTAG_RE = re.compile(r"#(\w+)", re.UNICODE)


@dataclass(frozen=True)
class Tag:
    """A label with a score in [0, 1] and where it came from (e.g. "hashtag", "clip", "audio")."""

    label: str
    score: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(float(self.score), 4), "source": self.source}


@dataclass
class ModalityFeatures:
    """One modality's view of a video.

    `vector` is float32 and L2-normalised (or all zeros when the modality is absent);
    `confidence` in [0, 1] says how much signal there was, and fusion weighs by it.
    """

    modality: str
    vector: np.ndarray
    confidence: float
    tags: list[Tag] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    model: str = ""

    def __post_init__(self) -> None:
        self.vector = np.asarray(self.vector, dtype=np.float32).reshape(-1)
        self.confidence = float(min(1.0, max(0.0, self.confidence)))

    @classmethod
    def absent(cls, modality: str, dim: int, model: str, reason: str) -> ModalityFeatures:
        """A modality with no signal: zero vector, confidence 0, and the reason in stats."""
        return cls(modality, np.zeros(dim, np.float32), 0.0, [], {"absent_reason": reason}, model)


def l2_normalize(vector: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Unit-length float32 copy; a zero vector stays zero."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n > eps else np.zeros_like(v)


class QueryCache:
    """The last `size` embeddings of single texts (queries): a search embeds its words once for the video index
    and again for the moments of the videos found; the second time, and any repeated query, costs nothing."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return None if vector is None else vector.copy()

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._items[text] = np.array(vector, np.float32)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class VideoMeta:
    """The words of a video, all optional: what the uploader says (title, description, hashtags, creator)
    and the text shown in the picture, which the visual extractor's OCR fills in."""

    title: str = ""
    description: str = ""
    hashtags: list[str] = field(default_factory=list)
    creator: str = ""
    onscreen_text: str = ""

    def all_hashtags(self) -> list[str]:
        """Hashtags given explicitly plus those written inline in title or description, de-duplicated."""
        given = [str(h).strip().lstrip("#") for h in self.hashtags]
        found = [t for h in given for t in (h.split() or [""])] + HASHTAG_RE.findall(f"{self.title} {self.description}")
        seen: dict[str, None] = {}
        for tag in found:
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = None
        return list(seen)


@runtime_checkable
class Extractor(Protocol):
    """One modality: its `name` (the key in a record's features), the `model` and `dim` that make up its part
    of the embedding-space id, and `extract`, which turns one video into that modality's features.

    Every extractor takes the same two inputs and reads what its modality needs: the text extractor the
    words (`meta`, on-screen text included), the visual and audio extractors the decoded `media`. A missing
    input gives absent features (confidence 0), never an error. Each extractor also has entry points for
    its own inputs (`TextExtractor.extract_many`, `VisualExtractor.extract_frames`,
    `AudioExtractor.extract_samples`), which the pipeline uses to run the visual modality in two stages.
    """

    name: str
    model: str
    dim: int

    def extract(self, meta: VideoMeta | None = None, media: DecodedMedia | None = None) -> ModalityFeatures: ...
