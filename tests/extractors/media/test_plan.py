"""The fast decode mode's plan, on keyframe layouts with known answers: which frame stands in for each sample
time, which groups of pictures must be decoded and how far, and which keyframes the encoder placed on cuts."""
from __future__ import annotations

import pytest

from extractors.media.plan import cut_keyframes, keyframe_cadence, plan_samples

PERIOD = 1 / 30


def test_a_keyframe_within_half_a_step_stands_in_for_a_sample_time():
    plan = plan_samples([0.0, 2.0, 4.0], [0.5, 1.5, 2.5, 3.5], tolerance=0.5)
    assert plan.pick_times == [0.0, 2.0, 2.5, 4.0]
    assert plan.keyframe_served == 3


def test_each_keyframe_serves_one_sample_and_the_rest_are_decoded_up_to_their_time():
    plan = plan_samples([0.0, 2.0, 4.0], [0.5, 1.5, 2.5, 3.5], tolerance=0.5)
    assert plan.decode_until == {1: 2.5}  # 2.5 lies in the group that starts at keyframe 2.0 (ordinal 1)


def test_a_group_is_decoded_up_to_its_last_unserved_sample():
    plan = plan_samples([0.0, 10.0], [1.0, 3.0, 5.0, 7.0, 9.0], tolerance=1.0)
    assert plan.decode_until == {0: 7.0}  # 1.0 and 9.0 are served by the keyframes at 0 and 10
    assert plan.pick_times == [0.0, 3.0, 5.0, 7.0, 10.0]


def test_the_cadence_is_the_interval_that_repeats():
    assert keyframe_cadence([0.0, 2.0, 4.0, 4.1, 6.0, 8.0], PERIOD) == pytest.approx(2.0)
    assert keyframe_cadence([0.0, 1.0, 6.0, 16.0], PERIOD) is None


def test_keyframes_off_the_cadence_are_cut_candidates():
    """x264 keeps a keyframe every 2 s and adds one at each cut; 6.0 comes one cadence after 4.0, not 4.1."""
    keyframes = [0.0, 2.0, 4.0, 4.1, 6.0, 8.0, 8.5, 10.5, 12.4, 14.4]
    assert cut_keyframes(keyframes, PERIOD) == [4.1, 8.5, 12.4]


def test_without_a_cadence_every_keyframe_may_start_a_shot():
    assert cut_keyframes([0.0, 1.001, 6.006, 16.016], PERIOD) == [0.0, 1.001, 6.006, 16.016]


def test_a_fixed_cadence_gives_no_candidates_so_the_file_is_decoded_in_full():
    assert cut_keyframes([0.0, 2.0, 4.0, 6.0, 8.0], PERIOD) is None
