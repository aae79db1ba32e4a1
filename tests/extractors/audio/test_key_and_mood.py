"""Key, mode and mood on generated sounds with known answers: tonic chords in all 24 keys, sounds without a key."""
from __future__ import annotations

import librosa
import numpy as np
import pytest

from extractors.audio import AudioExtractor
from extractors.audio.tonality import NOTE_NAMES

SR = 22050
KEYS = [(tonic, mode) for tonic in range(12) for mode in ("major", "minor")]


@pytest.fixture(scope="module")
def extractor():
    return AudioExtractor(warm_up=True)


def held_chord(tonic: int, steps, seconds: float = 2.0) -> np.ndarray:
    """Sines of the chord's notes, its root between F#3 and F4."""
    root = 60 + tonic if tonic < 6 else 48 + tonic
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * 440.0 * 2 ** ((root + s - 69) / 12) * t) for s in steps)
    return (y / np.abs(y).max() * 0.5).astype(np.float32)


def tonic_chord(tonic: int, mode: str, seventh: bool) -> np.ndarray:
    third = 4 if mode == "major" else 3
    steps = (0, third, 7, 11 if mode == "major" else 10) if seventh else (0, third, 7)
    return held_chord(tonic, steps)


def key_of(extractor, y) -> tuple[str | None, str | None]:
    stats = extractor.extract_samples(y, SR).stats
    return stats["key"], stats["mode"]


def click_track(bpm: float, seconds: float = 8.0) -> np.ndarray:
    clicks = librosa.clicks(times=np.arange(0, seconds, 60.0 / bpm), sr=SR, length=int(seconds * SR))
    return (clicks * 0.5).astype(np.float32)


@pytest.mark.parametrize("seventh", [False, True], ids=["triads", "sevenths"])
def test_tonic_chords_in_all_24_keys_give_key_and_mode(extractor, seventh):
    right = [key_of(extractor, tonic_chord(t, m, seventh)) == (NOTE_NAMES[t], m) for t, m in KEYS]
    assert np.mean(right) >= 0.9, f"{sum(right)}/24 keys right"


def test_c_major_triad_is_c_major_not_e_minor(extractor):
    assert key_of(extractor, held_chord(0, (0, 4, 7))) == ("C", "major")


def test_c_major_seventh_is_c_major_not_e_minor(extractor):
    assert key_of(extractor, held_chord(0, (0, 4, 7, 11))) == ("C", "major")


def test_a_minor_seventh_is_a_minor_not_c_major(extractor):
    assert key_of(extractor, held_chord(9, (0, 3, 7, 10))) == ("A", "minor")


@pytest.mark.parametrize("bpm", [90, 120])
def test_click_track_has_no_key(extractor, bpm):
    stats = extractor.extract_samples(click_track(bpm), SR).stats
    assert stats["key"] is None and stats["key_confidence"] == 0
    assert stats["key_note"]


@pytest.mark.parametrize("bpm", [90, 120])
def test_click_track_has_no_mood(extractor, bpm):
    features = extractor.extract_samples(click_track(bpm), SR)
    assert features.stats["mood"] is None
    assert features.stats["mood_note"].startswith("no mood")
    assert not {"sad", "calm", "tense", "energetic", "happy/upbeat"} & {t.label for t in features.tags}


def test_white_noise_has_no_key(extractor):
    noise = np.random.default_rng(1).standard_normal(4 * SR).astype(np.float32) * 0.1
    assert key_of(extractor, noise) == (None, None)


def test_one_held_tone_has_no_key(extractor):
    t = np.arange(3 * SR) / SR
    assert key_of(extractor, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)) == (None, None)


def test_major_chord_over_a_beat_has_a_mood(extractor):
    music = click_track(128) * 0.3 + np.tile(tonic_chord(0, "major", False), 4)[: 8 * SR]
    stats = extractor.extract_samples(music.astype(np.float32), SR).stats
    assert stats["mood"] is not None and stats["mood_note"] == ""


def test_beat_times_fall_on_the_clicks(extractor):
    beats = np.array(extractor.extract_samples(click_track(120), SR).stats["beat_times"])
    clicks = np.arange(0, 8, 0.5)
    distance = np.abs(beats[:, None] - clicks[None, :]).min(axis=1)
    assert len(beats) >= 12 and np.median(distance) < 0.05


def test_opening_reports_when_music_starts(extractor):
    chord = tonic_chord(7, "major", False)
    y = np.concatenate([np.zeros(int(1.5 * SR), np.float32), chord, chord])
    opening = extractor.extract_samples(y, SR).stats["opening"]
    assert opening["music_onset_s"] == pytest.approx(1.5, abs=0.1)
    assert opening["speech_onset_s"] is None


def test_timeline_marks_silence_then_music(extractor):
    chord = tonic_chord(2, "minor", False)
    y = np.concatenate([np.zeros(2 * SR, np.float32), chord, chord])
    kinds = [run["kind"] for run in extractor.extract_samples(y, SR).stats["timeline"]]
    assert kinds == ["silence", "music"]
