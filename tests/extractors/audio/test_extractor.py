"""Audio extractor on signals generated in code with known answers, and on the sample clips."""
from __future__ import annotations

import json

import numpy as np
import pytest

from extractors.audio import DIM, AudioExtractor
from extractors.audio.frames import frame_features
from extractors.media import decode
from tests.helpers import SAMPLE_MEDIA, sidecar

SR = 22050


@pytest.fixture(scope="module")
def extractor():
    return AudioExtractor(warm_up=True)


def click_track(bpm: float, seconds: float = 8.0) -> np.ndarray:
    import librosa

    clicks = librosa.clicks(times=np.arange(0, seconds, 60.0 / bpm), sr=SR, length=int(seconds * SR))
    return (clicks * 0.5).astype(np.float32)


def chord(freqs, seconds: float = 4.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (sum(np.sin(2 * np.pi * f * t) for f in freqs) * 0.15).astype(np.float32)


def scale(root_hz: float, steps, note_s: float = 0.35) -> np.ndarray:
    t = np.arange(int(note_s * SR)) / SR
    notes = [np.sin(2 * np.pi * root_hz * 2 ** (s / 12) * t) * np.hanning(t.size) ** 0.2 for s in steps]
    return (np.concatenate(notes) * 0.3).astype(np.float32)


def speech_like(seconds: float = 6.0, seed: int = 3) -> np.ndarray:
    """Syllable-rate bursts of a gliding-pitch, formant-shaped buzz with phrase pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = 170 + 40 * np.sin(2 * np.pi * 0.5 * t)
    source = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SR)) * 0.3 + 0.05 * rng.standard_normal(n)
    envelope = np.clip(np.sin(2 * np.pi * 4.5 * t), 0, None) ** 0.6 * (np.sin(2 * np.pi * 0.3 * t) > -0.5)
    spectrum = np.fft.rfft(source * envelope)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    formants = sum(np.exp(-((freqs - f) / 120.0) ** 2) for f in (700, 1200, 2600))
    voice = np.fft.irfft(spectrum * (0.2 + formants), n)
    return (voice / np.abs(voice).max() * 0.7).astype(np.float32)


@pytest.mark.parametrize("bpm", [80, 100, 120, 140, 160])
def test_click_track_tempo_within_two_percent(extractor, bpm):
    stats = extractor.extract_samples(click_track(bpm), SR).stats
    assert stats["bpm"] == pytest.approx(bpm, rel=0.02)
    assert stats["tempo_confidence"] > 0.5 and stats["beat_regularity"] > 0.9
    assert stats["tempo_octave_note"]


@pytest.mark.parametrize(
    "freqs, key, mode",
    [((261.63, 329.63, 392.0, 523.25), "C", "major"), ((220.0, 261.63, 329.63, 440.0), "A", "minor"),
     ((196.0, 233.08, 293.66, 392.0), "G", "minor"), ((293.66, 369.99, 440.0, 587.33), "D", "major")],
)
def test_triads_give_key_and_mode(extractor, freqs, key, mode):
    stats = extractor.extract_samples(chord(freqs), SR).stats
    assert (stats["key"], stats["mode"]) == (key, mode)
    assert stats["key_confidence"] > 0.3


@pytest.mark.parametrize(
    "root, steps, key, mode",
    [(293.66, (0, 2, 4, 5, 7, 9, 11, 12, 7, 4, 0), "D", "major"),
     (329.63, (0, 2, 3, 5, 7, 8, 10, 12, 7, 3, 0), "E", "minor"),
     (233.08, (0, 2, 4, 5, 7, 9, 11, 12, 7, 4, 0), "A#", "major")],
)
def test_scales_give_key_and_mode(extractor, root, steps, key, mode):
    stats = extractor.extract_samples(scale(root, steps), SR).stats
    assert (stats["key"], stats["mode"]) == (key, mode)


def test_silence_has_zero_confidence(extractor):
    features = extractor.extract_samples(np.zeros(3 * SR, np.float32), SR)
    assert features.confidence == 0 and features.stats["content"]["silence"] == 1.0
    assert not np.any(features.vector)


def test_near_silence_has_low_confidence(extractor):
    hiss = np.random.default_rng(0).standard_normal(3 * SR).astype(np.float32) * 3e-4  # about -70 dBFS
    loud = chord((261.63, 329.63, 392.0))
    assert extractor.extract_samples(hiss, SR).confidence < 0.1
    assert extractor.extract_samples(loud, SR).confidence > 0.9


def test_white_noise_is_noise_with_no_key_or_pulse(extractor):
    noise = np.random.default_rng(1).standard_normal(5 * SR).astype(np.float32) * 0.1
    stats = extractor.extract_samples(noise, SR).stats
    assert stats["content"]["noise"] > 0.8
    assert stats["key_confidence"] < 0.2 and stats["tempo_confidence"] < 0.2
    assert stats["spectral_flatness"] > 0.3


def test_speech_like_signal_versus_sustained_tones(extractor):
    speech = extractor.extract_samples(speech_like(), SR)
    tones = extractor.extract_samples(chord((220.0, 277.18, 329.63), seconds=6.0), SR)
    assert speech.stats["content"]["speech"] > 0.6 and speech.stats["content"]["music"] < 0.2
    assert tones.stats["content"]["music"] > 0.9 and tones.stats["content"]["speech"] == 0
    assert max(speech.tags, key=lambda t: t.score).label == "speech"


def test_no_audio_stream_and_too_short_audio(extractor):
    absent = extractor.extract_samples(None, SR)
    assert absent.confidence == 0 and absent.stats["absent_reason"] == "no audio stream"
    assert extractor.extract_samples(np.ones(100, np.float32) * 0.1, SR).confidence == 0


def test_audio_under_one_second_is_described_without_tempo(extractor):
    features = extractor.extract_samples(chord((220.0, 261.63, 329.63), seconds=0.6), SR)
    assert features.confidence > 0.5 and features.stats["bpm"] is None
    assert (features.stats["key"], features.stats["mode"]) == ("A", "minor")
    assert features.vector.shape == (DIM,) and np.linalg.norm(features.vector) == pytest.approx(1.0, abs=1e-5)


def test_contract_vector_tags_and_stats(extractor):
    features = extractor.extract_samples(click_track(120) + chord((261.63, 329.63, 392.0), seconds=8.0), SR)
    assert features.vector.dtype == np.float32 and features.vector.shape == (DIM,)
    assert np.linalg.norm(features.vector) == pytest.approx(1.0, abs=1e-5)
    assert all(tag.source == "audio" and 0 <= tag.score <= 1 for tag in features.tags)
    for key in ("bpm", "tempo_confidence", "tempo_octave_note", "key", "mode", "loudness_db", "dynamic_range_db",
                "content", "valence", "arousal", "mood", "mood_score", "danceability"):
        assert key in features.stats
    assert -1 <= features.stats["valence"] <= 1 and -1 <= features.stats["arousal"] <= 1
    json.dumps(features.stats)


def test_fast_major_is_livelier_than_slow_minor(extractor):
    fast_major = extractor.extract_samples(click_track(128) + chord((261.63, 329.63, 392.0, 523.25), 8.0), SR).stats
    slow_minor = extractor.extract_samples(click_track(70) * 0.3 + chord((220.0, 261.63, 329.63, 440.0), 8.0), SR).stats
    assert fast_major["valence"] > slow_minor["valence"] and fast_major["arousal"] > slow_minor["arousal"]
    assert fast_major["danceability"] > slow_minor["danceability"]
    assert slow_minor["mood"] in ("sad", "calm")


def test_windowed_analysis_equals_single_window():
    y = np.concatenate([click_track(100, 4.0), chord((261.63, 329.63), 3.0)])
    whole, windowed = frame_features(y, SR), frame_features(y, SR, window_s=0.7)
    for name in ("onset", "onset_low", "rms", "centroid", "zcr", "mfcc", "chroma"):
        # spectral contrast is left out: librosa clips its dB at 80 below each window's peak
        np.testing.assert_allclose(getattr(windowed, name), getattr(whole, name), atol=1e-4)


MUSIC_CLIPS = ["dance_party", "gym_workout", "pasta_recipe", "rainy_study", "sunset_beach"]


def _sample(name: str):
    return sidecar(name)["generated"], decode(SAMPLE_MEDIA / f"{name}.mp4")


@pytest.mark.parametrize("name", MUSIC_CLIPS)
def test_sample_music_matches_how_it_was_generated(extractor, name):
    generated, media = _sample(name)
    stats = extractor.extract_samples(media.audio, media.sample_rate).stats
    assert stats["bpm"] == pytest.approx(generated["bpm"], rel=0.03)
    assert (stats["key"], stats["mode"]) == (generated["key"], generated["mode"])
    assert stats["content"]["music"] > 0.9


def test_sample_speech_and_silence_and_no_audio(extractor):
    _, speech = _sample("phone_review")
    _, silent = _sample("forest_timelapse")
    _, none = _sample("cat_zoomies")
    assert extractor.extract_samples(speech.audio, speech.sample_rate).stats["content"]["speech"] > 0.6
    silent_features = extractor.extract_samples(silent.audio, silent.sample_rate)
    assert silent_features.confidence == 0 and silent_features.stats["content"]["silence"] == 1.0
    assert extractor.extract_samples(none.audio, none.sample_rate).stats["absent_reason"] == "no audio stream"
