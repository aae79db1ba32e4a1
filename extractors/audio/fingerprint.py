"""Landmark ("constellation") audio fingerprints: which sound a video uses, and where in it.

Method: A. Wang, "An Industrial-Strength Audio Search Algorithm", ISMIR 2003. The spectrogram's local peaks
survive re-encoding, volume change and added noise far better than the spectrum itself; pairs of nearby peaks
(an anchor and a few targets after it) are hashed as (anchor frequency, target frequency, time between them),
which says nothing about where in the clip the pair sits. A hash is stored with the anchor's time; two clips
share a sound when many of their common hashes agree on one time difference (the offset between them), so a
10 s excerpt of a 30 s track matches at its position, while chance collisions between unrelated tracks
scatter over many differences. Absolute level never enters: peaks are chosen by local prominence and a
per-second quota, so half volume gives the same peaks.

Written for reelsense on librosa's STFT; no library code is reused. The signal is resampled to 11025 Hz
(peaks up to 5 kHz: what a low-bitrate encoder keeps) so prints do not depend on the analysis sample rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FINGERPRINT_VERSION = "landmark-v1"  # bump when any constant below changes: old hashes no longer compare
RATE = 11025
N_FFT = 1024
HOP = 256  # 23.2 ms per frame: the offset resolution
HOP_S = HOP / RATE
MIN_BIN, MAX_BIN = 4, 464  # about 43 Hz .. 5 kHz
PEAK_SIZE = (15, 9)  # (bins, frames): a peak is the largest value in this neighbourhood
PEAK_FLOOR_DB = 55.0  # peaks more than this far below the clip's loudest are noise
PEAKS_PER_SECOND = 12  # density: a peak needs fewer than this many stronger peaks within half a second
FAN_OUT = 4  # targets paired with each anchor (about 33 hashes per second of music in all)
TARGET_DT = (2, 48)  # frames between anchor and target (46 ms .. 1.1 s)
TARGET_DF = 96  # bins between anchor and target frequencies (about 1 kHz)
REPEAT_WINDOW_S = 3.0  # a hash that recurs this soon is a loop (a drum pattern): it says nothing about the song
MIN_SECONDS = 1.0  # shorter audio gets no print


@dataclass(frozen=True)
class SoundPrint:
    """The hashes of a clip with the frame (HOP_S seconds) of each anchor; empty when the clip is too short,
    silent or has no audio."""

    hashes: np.ndarray  # uint32, (n,)
    times: np.ndarray  # int32 anchor frames, (n,)
    seconds: float
    version: str = FINGERPRINT_VERSION

    @property
    def empty(self) -> bool:
        return self.hashes.size == 0

    @classmethod
    def none(cls, seconds: float = 0.0) -> SoundPrint:
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.int32), seconds)


@dataclass(frozen=True)
class Alignment:
    """How one stored clip lines up with a query: `offset_s` is where the query starts in the stored clip's
    time (negative: the query starts before it), `aligned` how many hashes agree on that offset."""

    offset_s: float
    aligned: int
    common: int  # hashes shared at any offset


def fingerprint(samples: np.ndarray | None, sr: int) -> SoundPrint:
    """The landmark print of mono samples at `sr` (None or too short: an empty print)."""
    if samples is None or sr <= 0:
        return SoundPrint.none()
    y = np.asarray(samples, np.float32).reshape(-1)
    seconds = y.size / sr if sr else 0.0
    if seconds < MIN_SECONDS or not np.all(np.isfinite(y)):
        return SoundPrint.none(seconds)
    peaks_t, peaks_f = spectral_peaks(_at_rate(y, sr))
    hashes, times = drop_repeats(*pair_peaks(peaks_t, peaks_f), round(REPEAT_WINDOW_S / HOP_S))
    return SoundPrint(hashes, times, round(seconds, 3))


def _at_rate(y: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    return y if sr == RATE else librosa.resample(y, orig_sr=sr, target_sr=RATE, res_type="soxr_hq")


def spectral_peaks(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frame, bin) of the prominent local maxima of the log spectrogram, at most PEAKS_PER_SECOND a second."""
    import librosa
    from scipy.ndimage import maximum_filter

    mag = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, center=True))[MIN_BIN:MAX_BIN]
    if mag.size == 0 or float(mag.max()) <= 1e-6:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    db = 20.0 * np.log10(np.maximum(mag, float(mag.max()) * 1e-5))
    is_peak = (db == maximum_filter(db, size=PEAK_SIZE, mode="constant", cval=-np.inf))
    is_peak &= db > float(db.max()) - PEAK_FLOOR_DB
    bins, frames = np.nonzero(is_peak)
    order = np.argsort(frames, kind="stable")
    bins, frames = bins[order], frames[order]
    keep = _strongest_nearby(frames, db[bins, frames], PEAKS_PER_SECOND, round(0.5 / HOP_S))
    order = np.lexsort((bins[keep], frames[keep]))
    return frames[keep][order], bins[keep][order] + MIN_BIN


def _strongest_nearby(frames: np.ndarray, values: np.ndarray, quota: int, half_window: int) -> np.ndarray:
    """Indices (into frame-sorted peaks) of those with fewer than `quota` stronger peaks within `half_window`
    frames: a density limit that, unlike fixed one-second slices, does not depend on where the clip starts."""
    lo = np.searchsorted(frames, frames - half_window, side="left")
    hi = np.searchsorted(frames, frames + half_window, side="right")
    stronger = np.array([int(np.count_nonzero(values[a:b] > v)) for a, b, v in zip(lo, hi, values, strict=True)])
    return np.nonzero(stronger < quota)[0] if stronger.size else np.zeros(0, np.int64)


def pair_peaks(frames: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash each anchor with its first FAN_OUT targets in the zone after it: 9 bits per frequency, 6 for dt."""
    hashes: list[np.ndarray] = []
    anchors: list[np.ndarray] = []
    lo, hi = TARGET_DT
    for i in range(frames.size):
        start = np.searchsorted(frames, frames[i] + lo, side="left")
        stop = np.searchsorted(frames, frames[i] + hi, side="right")
        if start >= stop:
            continue
        zone = np.arange(start, stop)
        zone = zone[np.abs(bins[zone] - bins[i]) <= TARGET_DF][:FAN_OUT]
        if zone.size == 0:
            continue
        dt = frames[zone] - frames[i]
        hashes.append((bins[i].astype(np.uint32) << 15) | (bins[zone].astype(np.uint32) << 6) | dt.astype(np.uint32))
        anchors.append(np.full(zone.size, frames[i], np.int32))
    if not hashes:
        return np.zeros(0, np.uint32), np.zeros(0, np.int32)
    return np.concatenate(hashes), np.concatenate(anchors)


def drop_repeats(hashes: np.ndarray, times: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove every hash that occurs again within `window` frames, sorted by time.

    Drum patterns and loops repeat within a bar or two; many songs share them (one sample pack, one tempo),
    so their hashes would line up between different songs. Melody and harmony rarely repeat that soon.
    The decision is local in time, so an excerpt keeps the hashes the full track keeps, edges aside."""
    order = np.lexsort((times, hashes))
    h, t = hashes[order], times[order]
    close = (h[1:] == h[:-1]) & ((t[1:] - t[:-1]) < window)
    drop = np.zeros(h.size, bool)
    drop[1:] |= close
    drop[:-1] |= close
    keep = order[~drop]
    keep = keep[np.argsort(times[keep], kind="stable")]
    return hashes[keep], times[keep]


def align(query: SoundPrint, found_hashes: np.ndarray, found_times: np.ndarray) -> Alignment:
    """Line the query up with one stored clip, given the stored clip's (hash, time) rows that share a hash with it.

    Every pair of equal hashes votes for the time difference stored - query; the best-supported difference
    (with its two neighbours, as a peak can move by one frame) is the offset.
    """
    if query.empty or found_hashes.size == 0:
        return Alignment(0.0, 0, 0)
    order = np.argsort(query.hashes, kind="stable")
    q_hashes, q_times = query.hashes[order], query.times[order]
    left = np.searchsorted(q_hashes, found_hashes, side="left")
    right = np.searchsorted(q_hashes, found_hashes, side="right")
    counts = right - left
    if not counts.any():
        return Alignment(0.0, 0, 0)
    stored_t = np.repeat(found_times.astype(np.int64), counts)
    starts = np.repeat(left, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    deltas = stored_t - q_times[starts + within].astype(np.int64)
    shift = int(deltas.min())
    votes = np.bincount(deltas - shift)
    smoothed = votes + np.concatenate([[0], votes[:-1]]) + np.concatenate([votes[1:], [0]])
    best = int(np.argmax(smoothed))
    near = np.abs(deltas - shift - best) <= 1
    offset_frames = float(np.mean(deltas[near]))
    return Alignment(round(offset_frames * HOP_S, 3), int(smoothed[best]), int(counts.astype(bool).sum()))


MIN_ALIGNED = 20  # hashes that must agree on one offset
MIN_ALIGNED_SHARE = 0.15  # ... and this share of the query's hashes in the overlap (unrelated songs: under 0.07)


def is_same_sound(alignment: Alignment, query: SoundPrint, stored_seconds: float, stored_hashes: int) -> bool:
    """Whether an alignment says the two clips use one sound.

    The share is taken of the query hashes that fall where the two clips overlap at the aligned offset (and at
    most the stored clip's hash count), so a 10 s excerpt matches its 30 s track either way round, and two
    clips that share only a few seconds of a song still match (measured shares of generated songs and their
    excerpts and re-encodings: 0.2 to 1; of different songs at one tempo and key: under 0.07)."""
    start = query.times * HOP_S + alignment.offset_s  # query hash times in the stored clip's time
    overlap = int(np.count_nonzero((start >= 0) & (start <= stored_seconds)))
    shorter = max(1, min(overlap, stored_hashes))
    return alignment.aligned >= MIN_ALIGNED and alignment.aligned >= MIN_ALIGNED_SHARE * shorter
