"""Landmark fingerprints on generated songs: offsets, excerpts, volume, loops, silence, and no false match among
all pairs of the sample and generated clips."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from extractors.audio.fingerprint import HOP_S, SoundPrint, align, drop_repeats, fingerprint, is_same_sound
from extractors.media import SamplingOptions, decode
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.soundtracks import SOUND_OF, SR, track


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return track(11, 30.0)


def match(query: SoundPrint, stored: SoundPrint):
    shared = np.isin(stored.hashes, query.hashes)
    alignment = align(query, stored.hashes[shared], stored.times[shared])
    return alignment, is_same_sound(alignment, query, stored.seconds, stored.hashes.size)


@pytest.mark.parametrize("start", [3.0, 10.3, 17.77])
def test_an_excerpt_matches_at_its_start_within_a_tenth_of_a_second(song, start):
    excerpt = fingerprint(song[int(start * SR) : int((start + 10) * SR)], SR)
    alignment, same = match(excerpt, fingerprint(song, SR))
    assert same
    assert alignment.offset_s == pytest.approx(start, abs=0.1)


def test_the_whole_track_matches_its_excerpt_the_other_way_round(song):
    alignment, same = match(fingerprint(song, SR), fingerprint(song[int(10 * SR) : int(20 * SR)], SR))
    assert same
    assert alignment.offset_s == pytest.approx(-10.0, abs=0.1)


def test_half_volume_gives_the_same_print(song):
    assert np.array_equal(fingerprint(song * 0.5, SR).hashes, fingerprint(song, SR).hashes)


def test_the_print_does_not_depend_on_the_analysis_sample_rate(song):
    import librosa

    at_44k = librosa.resample(song, orig_sr=SR, target_sr=44100)
    _, same = match(fingerprint(at_44k, 44100), fingerprint(song, SR))
    assert same


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_another_song_at_the_same_tempo_and_key_does_not_match(song, seed):
    _, same = match(fingerprint(track(seed, 30.0), SR), fingerprint(song, SR))
    assert not same


def test_a_hash_repeating_within_the_window_is_dropped_and_a_lone_one_kept():
    hashes = np.array([7, 7, 9, 7], np.uint32)
    times = np.array([0, 10, 20, 500], np.int32)
    kept_hashes, kept_times = drop_repeats(hashes, times, window=50)
    assert kept_hashes.tolist() == [9, 7]
    assert kept_times.tolist() == [20, 500]


@pytest.mark.parametrize("samples", [None, np.zeros(SR * 5, np.float32), np.ones(SR // 2, np.float32) * 0.1],
                         ids=["no audio", "silence", "half a second"])
def test_no_audio_silence_or_a_too_short_clip_has_an_empty_print(samples):
    assert fingerprint(samples, SR).empty


def test_the_offset_resolution_is_a_frame_of_about_23_ms():
    assert HOP_S == pytest.approx(0.0232, abs=0.0005)


def test_no_false_match_among_all_pairs_of_sample_and_generated_clips(sound_clips):
    """Clips of different songs (the sample clips are all different) never match; bench/fingerprint.py reports
    the rates."""
    paths = {**sound_clips, **{p.stem: p for p in sorted(SAMPLE_MEDIA.glob("*.mp4"))}}
    prints = {}
    for name, path in paths.items():
        media = decode(path, options=SamplingOptions(max_frames=2, detect_shots=False))
        prints[name] = fingerprint(media.audio, media.sample_rate)
    different = [(a, b) for a, b in itertools.combinations(prints, 2) if SOUND_OF.get(a, a) != SOUND_OF.get(b, b)
                 and not prints[a].empty and not prints[b].empty]
    assert len(different) > 100
    assert [(a, b) for a, b in different if match(prints[a], prints[b])[1]] == []
