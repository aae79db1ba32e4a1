"""Audio features with librosa: rhythm, energy and timbre as a small standardised vector.

No learned weights: everything is signal processing, so the audio space id is this module's
`FEATURE_VERSION`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from extractors.features import ModalityFeatures, Tag, l2_normalize

FEATURE_VERSION = "librosa-v1"
SILENCE_DB = -60.0  # RMS below this (dBFS) is treated as silence

# Layout of the audio vector; each entry is (name, reference mean, reference scale) used to standardise.
VECTOR_LAYOUT: tuple[tuple[str, float, float], ...] = (
    ("tempo_bpm", 110.0, 30.0),
    ("onset_rate_hz", 3.0, 2.0),
    ("rms_db", -25.0, 10.0),
    ("rms_db_std", 5.0, 4.0),
    ("centroid_hz", 2000.0, 1200.0),
    ("rolloff_hz", 4000.0, 2500.0),
    ("flatness", 0.05, 0.1),
    ("zcr", 0.08, 0.06),
) + tuple((f"mfcc_{i}", 0.0, 40.0 if i == 0 else 15.0) for i in range(13))
DIM = len(VECTOR_LAYOUT)


def configure_numba_cache(cache_dir: str | os.PathLike | None) -> None:
    """Point numba's on-disk cache somewhere writable before librosa is imported."""
    if cache_dir and "NUMBA_CACHE_DIR" not in os.environ:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache_dir)


class AudioExtractor:
    """Stateless apart from the one-off JIT warm-up done at construction."""

    name = "audio"
    model = FEATURE_VERSION
    dim = DIM

    def __init__(self, warm_up: bool = True):
        if warm_up:
            self.warm_up()

    @staticmethod
    def warm_up() -> None:
        """Run beat tracking once on a short signal so numba compiles now, not on the first request."""
        import librosa

        sr = 22050
        clicks = librosa.clicks(times=np.arange(0, 3, 0.5), sr=sr, length=3 * sr)
        librosa.beat.beat_track(y=clicks.astype(np.float32), sr=sr)

    def extract(self, audio: np.ndarray | None, sr: int) -> ModalityFeatures:
        if audio is None:
            return ModalityFeatures.absent(self.name, DIM, self.model, "no audio stream")
        if audio.size < sr // 4:
            return ModalityFeatures.absent(self.name, DIM, self.model, "audio shorter than 0.25 s")
        import librosa

        y = np.asarray(audio, dtype=np.float32)
        rms = librosa.feature.rms(y=y)[0]
        rms_db = librosa.amplitude_to_db(rms, ref=1.0, top_db=None)
        loudness = float(np.mean(rms_db))
        if float(np.max(rms_db)) < SILENCE_DB:
            stats = {"loudness_db": round(loudness, 1), "silent": True}
            return ModalityFeatures(self.name, np.zeros(DIM, np.float32), 0.0, [Tag("silent", 1.0, "audio")], stats, self.model)
        onset_env = librosa.onset.onset_strength(y=y, sr=sr)
        tempo, _beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=sr)
        onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr)
        seconds = y.size / sr
        values = {
            "tempo_bpm": float(np.atleast_1d(tempo)[0]),
            "onset_rate_hz": len(onsets) / seconds,
            "rms_db": loudness,
            "rms_db_std": float(np.std(rms_db)),
            "centroid_hz": float(np.mean(librosa.feature.spectral_centroid(y=y, sr=sr))),
            "rolloff_hz": float(np.mean(librosa.feature.spectral_rolloff(y=y, sr=sr))),
            "flatness": float(np.mean(librosa.feature.spectral_flatness(y=y))),
            "zcr": float(np.mean(librosa.feature.zero_crossing_rate(y))),
        }
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).mean(axis=1)
        values.update({f"mfcc_{i}": float(v) for i, v in enumerate(mfcc)})
        raw = np.array([(values[name] - mean) / scale for name, mean, scale in VECTOR_LAYOUT], np.float32)
        # Confidence rises from 0 at the silence floor to 1 at ordinary loudness (-30 dBFS and up).
        confidence = float(np.clip((loudness - SILENCE_DB) / 30.0, 0.0, 1.0))
        stats = {
            "bpm": round(values["tempo_bpm"], 1),
            "loudness_db": round(loudness, 1),
            "onset_rate_hz": round(values["onset_rate_hz"], 2),
            "spectral_centroid_hz": round(values["centroid_hz"], 0),
            "seconds_analyzed": round(seconds, 2),
        }
        tags = [Tag(_tempo_label(values["tempo_bpm"]), 0.6, "audio")]
        return ModalityFeatures(self.name, l2_normalize(raw), confidence, tags, stats, self.model)


def _tempo_label(bpm: float) -> str:
    if bpm < 90:
        return "slow tempo"
    if bpm < 120:
        return "medium tempo"
    return "fast tempo"
