"""Frame-level audio features computed window by window, so working memory stays bounded.

One STFT per window (30 s by default) feeds every spectral feature; only small per-frame
summaries (about 40 floats per 23 ms frame, a few percent of the audio itself) are kept,
so a ten-minute track never materialises a ten-minute spectrogram.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

N_FFT = 2048
HOP = 512
WINDOW_S = 30.0
LOW_BAND_HZ = 250.0
MEL_FLOOR_DB = -80.0  # absolute floor of the log-mel spectrogram (dBFS-like), as librosa's top_db=80
BASS_RANGE_HZ = (40.0, 1000.0)  # where the lowest sounding note of a frame is looked for
BASS_PEAK_RATIO = 0.25  # a spectral peak counts as a note at this fraction of the frame's strongest peak (-12 dB)


@dataclass
class FrameFeatures:
    """Per-frame measurements, all aligned on frames centred at `i * hop` samples."""

    sr: int
    hop: int
    onset: np.ndarray  # (n,) spectral-flux onset strength on the log-mel spectrogram
    onset_low: np.ndarray  # (n,) the same below LOW_BAND_HZ: kick drum and bass, used for the tempo octave
    rms: np.ndarray  # (n,) linear RMS
    centroid: np.ndarray  # (n,) Hz
    rolloff: np.ndarray  # (n,) Hz, 85 % energy
    flatness: np.ndarray  # (n,) 0 tonal .. 1 white noise
    zcr: np.ndarray  # (n,) crossings per sample
    contrast: np.ndarray  # (7, n) spectral contrast, dB (librosa floors it 80 dB below each window's peak)
    mfcc: np.ndarray  # (13, n)
    chroma: np.ndarray  # (12, n) max-normalised pitch-class energy, C first
    bass: np.ndarray  # (n,) pitch class (0 = C) of the lowest strong spectral peak; -1 where there is none

    @property
    def n_frames(self) -> int:
        return int(self.rms.size)

    @property
    def rms_db(self) -> np.ndarray:
        return 20.0 * np.log10(np.maximum(self.rms, 1e-10))


@lru_cache(maxsize=8)
def _filters(sr: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Mel and chroma filter banks (built once per sample rate) and the number of low mel bands."""
    import librosa

    mel = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=128).astype(np.float32)
    chroma = librosa.filters.chroma(sr=sr, n_fft=N_FFT, tuning=0.0, base_c=True).astype(np.float32)
    n_low = int(np.searchsorted(librosa.mel_frequencies(n_mels=128, fmax=sr / 2), LOW_BAND_HZ))
    return mel, chroma, max(n_low, 1)


def _padded_slice(y: np.ndarray, start: int, stop: int) -> np.ndarray:
    """y[start:stop] with zeros where the range runs off either end (centred framing)."""
    out = np.zeros(stop - start, np.float32)
    lo, hi = max(start, 0), min(stop, y.size)
    if hi > lo:
        out[lo - start : hi - start] = y[lo:hi]
    return out


def _bass_pitch_classes(mag: np.ndarray, sr: int) -> np.ndarray:
    """Per frame, the pitch class of the lowest spectral peak within BASS_PEAK_RATIO of the strongest one.

    The lowest note of a chord is usually its root, and the root of a held chord is its key's tonic; chroma
    alone cannot tell C minor 7 from E-flat major 6 (the same four pitch classes), the bass can."""
    freqs = np.arange(mag.shape[0]) * sr / N_FFT
    lo, hi = np.searchsorted(freqs, BASS_RANGE_HZ)
    band = mag[max(lo, 1) - 1 : hi + 1]
    if band.shape[0] < 3 or band.shape[1] == 0:
        return np.full(mag.shape[1], -1, np.int8)
    inner = band[1:-1]
    peaks = (inner >= band[:-2]) & (inner > band[2:]) & (inner >= BASS_PEAK_RATIO * inner.max(axis=0, keepdims=True))
    peaks &= inner > 0
    first = np.argmax(peaks, axis=0)
    cols = np.arange(band.shape[1])
    a, b, c = band[first, cols], band[first + 1, cols], band[first + 2, cols]
    curve = a - 2 * b + c
    offset = np.where(curve < 0, 0.5 * (a - c) / np.where(curve < 0, curve, -1.0), 0.0)
    hz = (max(lo, 1) + first + np.clip(offset, -0.5, 0.5)) * sr / N_FFT
    pitch_class = (np.round(12 * np.log2(np.maximum(hz, 1e-3) / 440.0)).astype(int) + 9) % 12
    return np.where(peaks.any(axis=0), pitch_class, -1).astype(np.int8)


def _window_features(y: np.ndarray, sr: int, first: int, stop: int) -> dict[str, np.ndarray]:
    """Features for frames [first, stop); one extra leading frame feeds the onset difference."""
    import librosa

    lead = first - 1 if first > 0 else first
    chunk = _padded_slice(y, lead * HOP - N_FFT // 2, (stop - 1) * HOP + N_FFT // 2)
    mag = np.abs(librosa.stft(chunk, n_fft=N_FFT, hop_length=HOP, center=False)).astype(np.float32)
    power = mag**2
    mel_basis, chroma_basis, n_low = _filters(sr)
    mel_db = librosa.power_to_db(mel_basis @ power, ref=1.0, amin=1e-10, top_db=None)
    mel_db = np.maximum(mel_db, MEL_FLOOR_DB)  # so digital silence between hits does not dominate the flux
    rise = np.maximum(0.0, np.diff(mel_db, axis=1))
    if lead == first:  # the first frame of the signal has no predecessor
        rise = np.concatenate([np.zeros((rise.shape[0], 1), rise.dtype), rise], axis=1)
    keep = slice(first - lead, None)
    mag, power, mel_db = mag[:, keep], power[:, keep], mel_db[:, keep]
    chroma = chroma_basis @ power
    chroma /= np.maximum(chroma.max(axis=0, keepdims=True), 1e-10)
    body = _padded_slice(y, first * HOP - N_FFT // 2, (stop - 1) * HOP + N_FFT // 2)
    return {
        "onset": rise.mean(axis=0),
        "onset_low": rise[:n_low].mean(axis=0),
        "rms": librosa.feature.rms(S=mag, frame_length=N_FFT)[0],
        "centroid": librosa.feature.spectral_centroid(S=mag, sr=sr, n_fft=N_FFT)[0],
        "rolloff": librosa.feature.spectral_rolloff(S=mag, sr=sr, n_fft=N_FFT)[0],
        "flatness": librosa.feature.spectral_flatness(S=mag)[0],
        "zcr": librosa.feature.zero_crossing_rate(body, frame_length=N_FFT, hop_length=HOP, center=False)[0],
        "contrast": librosa.feature.spectral_contrast(S=mag, sr=sr, n_fft=N_FFT),
        "mfcc": librosa.feature.mfcc(S=mel_db, n_mfcc=13),
        "chroma": chroma,
        "bass": _bass_pitch_classes(mag, sr),
    }


def frame_features(y: np.ndarray, sr: int, window_s: float = WINDOW_S) -> FrameFeatures:
    """Analyse `y` in windows of `window_s` seconds and join the per-frame results."""
    n_frames = 1 + y.size // HOP
    per_window = max(1, int(window_s * sr) // HOP)
    parts: dict[str, list[np.ndarray]] = {}
    for first in range(0, n_frames, per_window):
        for key, value in _window_features(y, sr, first, min(first + per_window, n_frames)).items():
            parts.setdefault(key, []).append(np.asarray(value, np.int8 if key == "bass" else np.float32))
    joined = {key: np.concatenate(chunks, axis=-1) for key, chunks in parts.items()}
    return FrameFeatures(sr=sr, hop=HOP, **joined)
