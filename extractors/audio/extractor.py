"""Audio understanding with librosa: rhythm, key, energy, timbre, content type and mood.

No learned weights: everything is signal processing, so the audio space id is this module's
`FEATURE_VERSION` (bump it whenever `VECTOR_LAYOUT` or a feature's definition changes).
The work is split by job: `frames` (windowed STFT features, bounded memory), `rhythm`, `tonality`,
`content`, `mood`; this module joins them into stats, tags and the standardised vector.

Vector layout (55 dims): each entry (name, reference mean, reference scale) is standardised as
(value - mean) / scale, then the vector is L2-normalised. Key is placed on the circle of fifths
(cos, sin) so neighbouring keys stay close; key and mode terms are scaled by key confidence.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from extractors.audio.content import content_fractions, content_segments, timeline
from extractors.audio.frames import FrameFeatures, frame_features
from extractors.audio.jit_cache import warm_up_safely
from extractors.audio.mood import Mood, estimate_mood
from extractors.audio.opening import opening
from extractors.audio.rhythm import Rhythm, analyse_rhythm
from extractors.audio.tonality import Tonality, estimate_key
from extractors.base import ModalityFeatures, Tag, VideoMeta, l2_normalize

if TYPE_CHECKING:
    from extractors.media import DecodedMedia

FEATURE_VERSION = "librosa-v3"
SILENCE_DB = -60.0  # loudest frame below this (dBFS): the clip is silent, confidence 0
ACTIVE_FRAME_DB = -50.0  # frames at or above this count for loudness, key and timbre
MIN_SECONDS = 0.25
KEY_TAG_CONFIDENCE = 0.3
TEMPO_TAG_CONFIDENCE = 0.3
# How much the audio vector (rhythm, key, loudness, timbre) tells about a video, per kind of sound. Without
# speech recognition it says little about speech; noise (rain, traffic) sets a scene; silence says nothing.
# Music tells most, from 0.5 (no clear beat or key) to 1 (both clear): that is what the vector describes.
INFORMATIVENESS = {"silence": 0.0, "speech": 0.15, "noise": 0.3}
MUSIC_INFORMATIVENESS = (0.5, 1.0)

VECTOR_LAYOUT: tuple[tuple[str, float, float], ...] = (
    # rhythm
    ("tempo_bpm", 110.0, 30.0),
    ("tempo_confidence", 0.5, 0.3),
    ("beat_strength", 0.5, 0.3),
    ("beat_regularity", 0.7, 0.3),
    ("onset_rate_hz", 3.0, 2.0),
    # tonality
    ("key_fifths_cos", 0.0, 0.5),
    ("key_fifths_sin", 0.0, 0.5),
    ("mode_major", 0.0, 0.5),
    ("key_confidence", 0.4, 0.3),
    # energy
    ("loudness_db", -25.0, 10.0),
    ("dynamic_range_db", 15.0, 10.0),
    # timbre
    ("centroid_hz", 2000.0, 1200.0),
    ("rolloff_hz", 4000.0, 2500.0),
    ("flatness", 0.05, 0.1),
    ("zcr", 0.08, 0.06),
    *((f"contrast_{i}", 20.0, 8.0) for i in range(7)),
    *((f"mfcc_mean_{i}", 0.0, 60.0 if i == 0 else 20.0) for i in range(13)),
    *((f"mfcc_std_{i}", 10.0, 8.0) for i in range(13)),
    # content type
    ("silence", 0.1, 0.3),
    ("speech", 0.3, 0.4),
    ("music", 0.5, 0.4),
    ("noise", 0.05, 0.2),
    # mood
    ("valence", 0.0, 0.5),
    ("arousal", 0.0, 0.5),
    ("danceability", 0.3, 0.3),
)
DIM = len(VECTOR_LAYOUT)


def _warm_up_signal(sr: int = 22050, seconds: float = 4.0) -> np.ndarray:
    """Clicks at 120 BPM over an A minor chord: exercises every code path, tempo and key included."""
    import librosa

    n = int(seconds * sr)
    t = np.arange(n) / sr
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63)) * 0.1
    return (chord + librosa.clicks(times=np.arange(0, seconds, 0.5), sr=sr, length=n) * 0.5).astype(np.float32)


@dataclass
class Measures:
    """Everything measured on the active (not silent) frames of one clip."""

    rhythm: Rhythm
    tonality: Tonality
    mood: Mood
    content: dict[str, float]
    loudness: float
    centroid: float
    values: dict[str, float]  # every VECTOR_LAYOUT entry, unscaled
    timeline: list[dict]  # runs of speech, music, noise, silence with their times
    opening: dict  # the first seconds: loudness, what is heard, onsets


class AudioExtractor:
    """The audio modality; follows `extractors.base.Extractor`. Stateless apart from the one-off JIT warm-up
    done at construction."""

    name = "audio"
    model = FEATURE_VERSION
    dim = DIM

    def __init__(self, warm_up: bool = True):
        if warm_up:
            self.warm_up()

    def warm_up(self) -> None:
        """Run the full analysis once so numba compiles (or loads its cache) now, not on the first request;
        the cache folder is checked first, once, by a child process under a lock (jit_cache.py)."""
        warm_up_safely(self.warm_up_now)

    def warm_up_now(self) -> None:
        """The warm-up itself, with no check of the cache."""
        self.extract_samples(_warm_up_signal(), 22050)

    def extract(self, meta: VideoMeta | None = None, media: DecodedMedia | None = None) -> ModalityFeatures:
        """The audio track of a decoded video (the words in `meta` are not looked at)."""
        if media is None:
            return ModalityFeatures.absent(self.name, DIM, self.model, "no media")
        return self.extract_samples(media.audio, media.sample_rate)

    def extract_samples(self, audio: np.ndarray | None, sr: int) -> ModalityFeatures:
        """The modality from mono samples at `sr` (None: the video has no audio stream)."""
        if audio is None:
            return ModalityFeatures.absent(self.name, DIM, self.model, "no audio stream")
        y = np.asarray(audio, dtype=np.float32).reshape(-1)
        if sr <= 0 or not np.all(np.isfinite(y)):
            return ModalityFeatures.absent(self.name, DIM, self.model, "invalid audio samples or sample rate")
        if y.size < MIN_SECONDS * sr:
            return ModalityFeatures.absent(self.name, DIM, self.model, f"audio shorter than {MIN_SECONDS:g} s")
        frames = frame_features(y, sr)
        seconds = y.size / sr
        if float(frames.rms_db.max()) < SILENCE_DB:
            stats = {
                "loudness_db": round(max(float(frames.rms_db.mean()), -120.0), 1),
                "silent": True,
                "content": {"silence": 1.0, "speech": 0.0, "music": 0.0, "noise": 0.0},
                "seconds_analyzed": round(seconds, 2),
            }
            silence = [Tag("silence", 1.0, "audio")]
            return ModalityFeatures(self.name, np.zeros(DIM, np.float32), 0.0, silence, stats, self.model)
        return self._describe(frames, seconds)

    def _describe(self, frames: FrameFeatures, seconds: float) -> ModalityFeatures:
        m = measure(frames)
        raw = np.array([(m.values[name] - mean) / scale for name, mean, scale in VECTOR_LAYOUT], np.float32)
        confidence = audio_confidence(m)
        stats = _stats(m, seconds)
        return ModalityFeatures(self.name, l2_normalize(raw), confidence, _tags(stats), stats, self.model)


def audio_confidence(m: Measures) -> float:
    """How informative the audio vector is: loudness (0 at the silence floor, 1 from -30 dBFS up) times the
    clip's content shares weighted by INFORMATIVENESS, music by how clear its beat or key is."""
    audible = float(np.clip((m.loudness - SILENCE_DB) / 30.0, 0.0, 1.0))
    low, high = MUSIC_INFORMATIVENESS
    clarity = max(m.rhythm.tempo_confidence, m.tonality.confidence)
    music = low + (high - low) * float(np.clip(clarity, 0.0, 1.0))
    told = m.content.get("music", 0.0) * music + sum(m.content.get(k, 0.0) * w for k, w in INFORMATIVENESS.items())
    return audible * float(np.clip(told, 0.0, 1.0))


def measure(frames: FrameFeatures) -> Measures:
    """Rhythm, key, loudness, timbre, content and mood of a clip that is not silent."""
    rms_db = frames.rms_db
    active = rms_db >= ACTIVE_FRAME_DB
    if not active.any():
        active = rms_db >= rms_db.max() - 10.0
    loudness = float(10.0 * np.log10(max(float(np.mean(frames.rms[active] ** 2)), 1e-20)))
    rhythm = analyse_rhythm(frames.onset, frames.onset_low, frames.sr, frames.hop)
    tonality = estimate_key(frames.chroma, active.astype(np.float64), frames.bass)
    segments = content_segments(frames)
    content = content_fractions(segments, frames.n_frames)
    centroid = float(frames.centroid[active].mean())
    mood = estimate_mood(rhythm.bpm, rhythm.tempo_confidence, rhythm.beat_strength, rhythm.beat_regularity,
                         rhythm.onset_rate_hz, loudness, centroid, tonality.mode, tonality.confidence,
                         content["music"])
    fifths = 2 * np.pi * ((tonality.tonic_index * 7) % 12) / 12 if tonality.key else 0.0
    values = {
        "tempo_bpm": rhythm.bpm if rhythm.bpm else 110.0,
        "tempo_confidence": rhythm.tempo_confidence,
        "beat_strength": rhythm.beat_strength,
        "beat_regularity": rhythm.beat_regularity,
        "onset_rate_hz": rhythm.onset_rate_hz,
        "key_fifths_cos": np.cos(fifths) * tonality.confidence,
        "key_fifths_sin": np.sin(fifths) * tonality.confidence,
        "mode_major": {"major": 1.0, "minor": -1.0}.get(tonality.mode or "", 0.0) * tonality.confidence,
        "key_confidence": tonality.confidence,
        "loudness_db": loudness,
        "dynamic_range_db": float(np.percentile(rms_db[active], 95) - np.percentile(rms_db[active], 10)),
        "centroid_hz": centroid,
        "rolloff_hz": float(frames.rolloff[active].mean()),
        "flatness": float(frames.flatness[active].mean()),
        "zcr": float(frames.zcr[active].mean()),
        **content,
        "valence": mood.valence,
        "arousal": mood.arousal,
        "danceability": mood.danceability,
    }
    values.update({f"contrast_{i}": float(v) for i, v in enumerate(frames.contrast[:, active].mean(axis=1))})
    values.update({f"mfcc_mean_{i}": float(v) for i, v in enumerate(frames.mfcc[:, active].mean(axis=1))})
    values.update({f"mfcc_std_{i}": float(v) for i, v in enumerate(frames.mfcc[:, active].std(axis=1))})
    return Measures(rhythm, tonality, mood, content, loudness, centroid, values, timeline(segments, frames),
                    opening(frames, segments))


def _stats(m: Measures, seconds: float) -> dict:
    """The measurements for people: rounded, named, JSON-ready."""
    rhythm, tonality, mood = m.rhythm, m.tonality, m.mood
    return {
        "bpm": round(rhythm.bpm, 1) if rhythm.bpm else None,
        "tempo_confidence": round(rhythm.tempo_confidence, 2),
        "tempo_octave_note": rhythm.octave_note,
        "beats": int(rhythm.beat_times.size),
        "beat_times": [round(float(t), 3) for t in rhythm.beat_times],
        "beat_strength": round(rhythm.beat_strength, 2),
        "beat_regularity": round(rhythm.beat_regularity, 2),
        "onset_rate_hz": round(rhythm.onset_rate_hz, 2),
        "key": tonality.key,
        "mode": tonality.mode,
        "key_confidence": round(tonality.confidence, 2),
        "key_note": tonality.reason,
        "loudness_db": round(m.loudness, 1),
        "dynamic_range_db": round(m.values["dynamic_range_db"], 1),
        "spectral_centroid_hz": round(m.centroid, 0),
        "spectral_rolloff_hz": round(m.values["rolloff_hz"], 0),
        "spectral_flatness": round(m.values["flatness"], 3),
        "zero_crossing_rate": round(m.values["zcr"], 3),
        "content": m.content,
        "timeline": m.timeline,
        "opening": m.opening,
        "valence": mood.valence,
        "arousal": mood.arousal,
        "mood": mood.tag,
        "mood_score": mood.score,
        "mood_note": mood.note,
        "danceability": mood.danceability,
        "seconds_analyzed": round(seconds, 2),
    }


def _tags(stats: dict) -> list[Tag]:
    """Human-readable tags: dominant content type, tempo class, key, mood and danceability."""
    content = stats["content"]
    kind = max(content, key=content.get)
    tags = [Tag(kind, float(content[kind]), "audio")]
    if stats["bpm"] and stats["tempo_confidence"] >= TEMPO_TAG_CONFIDENCE and kind == "music":
        tags.append(Tag(_tempo_label(stats["bpm"]), stats["tempo_confidence"], "audio"))
    if stats["key"] and stats["key_confidence"] >= KEY_TAG_CONFIDENCE:
        tags.append(Tag(f"{stats['key']} {stats['mode']}", stats["key_confidence"], "audio"))
    if kind == "music" and stats["mood"]:
        tags.append(Tag(stats["mood"], stats["mood_score"], "audio"))
        if stats["danceability"] >= 0.5:
            tags.append(Tag("danceable", stats["danceability"], "audio"))
    return tags


def _tempo_label(bpm: float) -> str:
    if bpm < 90:
        return "slow tempo"
    if bpm < 120:
        return "medium tempo"
    return "fast tempo"
