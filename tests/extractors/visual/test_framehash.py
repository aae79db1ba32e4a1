"""Perceptual frame prints: letterbox cropping, flat frames, offsets, and copies against different clips."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from extractors.media import SamplingOptions, decode
from extractors.visual.framehash import compare, crop_bars, frame_print, is_duplicate
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.soundtracks import COPIES, SCHEME, picture

OPTIONS = SamplingOptions(max_frames=8)


def frames_of(seed: int, seconds: int = 6, palette=None, size=(144, 256)):
    draw = picture(seed) if palette is None else picture(seed, palette)
    times = [t + 0.5 for t in range(seconds)]
    return [draw(t, *size) for t in times], times


def test_black_bars_are_cropped_away():
    inner = np.full((60, 40, 3), 200, np.uint8)
    boxed = np.zeros((100, 40, 3), np.uint8)
    boxed[20:80] = inner
    assert crop_bars(boxed).shape == (60, 40, 3)


def test_flat_frames_are_not_hashed():
    flat = [np.full((64, 64, 3), c, np.uint8) for c in (10, 120, 250)]
    assert frame_print(flat, [0.5, 1.5, 2.5]).empty


def test_a_trimmed_copy_lines_up_at_its_trim():
    frames, times = frames_of(1)
    original = frame_print(frames, times)
    copy = frame_print(frames[2:], [t - 2.0 for t in times[2:]])
    match = compare(copy, original)
    assert match.offset_s == pytest.approx(2.0)
    assert is_duplicate(match, copy, original)


def test_two_pictures_of_one_colour_scheme_are_not_duplicates():
    a, b = frame_print(*frames_of(6, palette=SCHEME)), frame_print(*frames_of(7, palette=SCHEME))
    assert not is_duplicate(compare(a, b), a, b)


@pytest.mark.parametrize("copy", sorted(COPIES))
def test_each_generated_copy_is_a_duplicate_of_its_original(sound_clips, copy):
    a = frame_print(*_decoded(sound_clips[copy]))
    b = frame_print(*_decoded(sound_clips[COPIES[copy]]))
    assert is_duplicate(compare(a, b), a, b)


def test_no_false_duplicate_among_all_pairs_of_sample_and_generated_originals(sound_clips):
    originals = {n: p for n, p in sound_clips.items() if n not in COPIES}
    paths = {**originals, **{p.stem: p for p in sorted(SAMPLE_MEDIA.glob("*.mp4"))}}
    prints = {name: frame_print(*_decoded(path)) for name, path in paths.items()}
    pairs = [(a, b) for a, b in itertools.combinations(prints, 2)
             if is_duplicate(compare(prints[a], prints[b]), prints[a], prints[b])]
    assert pairs == []


def _decoded(path):
    media = decode(path, options=OPTIONS)
    return media.frames, media.frame_times
