"""The sensitive-content flag: NudeNet's real detector on images with a known answer where the extra is installed,
and the "unavailable" path (extra missing or check switched off), which must never read as "safe".

No positive case is generated: an image that NudeNet should flag cannot be drawn in code, and the repository
ships no such media, so the flag's positive path is covered only by the threshold logic on reports."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from extractors.visual.safety import INSTALL_HINT, SENSITIVE_CLASSES, SafetyChecker, SafetyOptions, SafetyReport


def blank(value: int = 255) -> np.ndarray:
    return np.full((320, 320, 3), value, np.uint8)


def landscape_photos() -> list[np.ndarray]:
    """Two real photographs (a temple, a flower) that scikit-learn ships: nothing sensitive in them."""
    from sklearn.datasets import load_sample_image

    return [load_sample_image("china.jpg"), load_sample_image("flower.jpg")]


@pytest.fixture(scope="module")
def checker():
    pytest.importorskip("nudenet", reason=f"the safety extra is not installed ({INSTALL_HINT})")
    return SafetyChecker(SafetyOptions(threshold=0.6, max_frames=4))


def test_blank_frames_are_checked_and_not_sensitive(checker):
    report = checker.check([blank(), blank(0)], [0.0, 1.0])
    assert report.status == "checked" and report.sensitive is False


def test_blank_frames_score_zero_in_every_sensitive_category(checker):
    scores = checker.check([blank()]).scores
    assert {scores[c.lower()] for c in SENSITIVE_CLASSES} == {0.0}


def test_photographs_without_people_are_not_sensitive(checker):
    report = checker.check(landscape_photos())
    assert report.sensitive is False and report.frames_checked == 2


def test_a_checked_report_names_the_detector_and_gives_no_tag(checker):
    report = checker.check([blank()])
    assert report.to_dict()["detector"].startswith("nudenet-")
    assert report.tags() == []


def test_at_most_max_frames_are_checked(checker):
    assert checker.check([blank()] * 10).frames_checked == 4


def test_without_the_extra_the_flag_is_unavailable_not_safe(monkeypatch):
    monkeypatch.setitem(sys.modules, "nudenet", None)  # `import nudenet` now fails as if it were not installed
    report = SafetyChecker().check([blank()])
    assert report.status == "unavailable"
    assert report.sensitive is None
    assert "reelsense[safety]" in report.reason


def test_unavailable_report_has_no_scores_and_no_tag(monkeypatch):
    monkeypatch.setitem(sys.modules, "nudenet", None)
    report = SafetyChecker().check([blank()])
    assert "scores" not in report.to_dict() and report.tags() == []


def test_switched_off_the_flag_is_unavailable_and_names_the_setting():
    report = SafetyChecker(SafetyOptions(enabled=False)).check([blank()])
    assert report.status == "unavailable" and report.sensitive is None
    assert "REELSENSE_SAFETY_ENABLED" in report.reason


def test_a_sensitive_score_at_the_threshold_flags_and_tags():
    report = SafetyReport("checked", 0.6, scores={"buttocks_exposed": 0.6, "face_female": 0.9})
    assert report.sensitive is True
    assert [(t.label, t.source) for t in report.tags()] == [("sensitive", "safety")]


def test_non_sensitive_categories_never_flag():
    report = SafetyReport("checked", 0.6, scores={"face_female": 0.95, "feet_exposed": 0.9})
    assert report.sensitive is False
