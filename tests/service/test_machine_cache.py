"""Caches are per machine, not per data dir: a second data dir reads the zero-shot prompt vectors the first one
encoded, and the JIT cache sits in the same machine folder."""
from __future__ import annotations

from service.config import Settings
from service.factory import Components


def test_two_fresh_data_dirs_share_one_machine_cache(settings_factory, tmp_path):
    cache = tmp_path / "machine"
    first_settings = settings_factory(cache_dir=cache)
    first = Components(first_settings).visual
    first.zero_shot_classifiers()
    assert first.prompt_cache.computed == 2 and first.prompt_cache.loaded == 0  # taxonomy and scenes
    files = sorted((cache / "clip-text").glob("clip-text-*.npy"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]

    second_settings = settings_factory(cache_dir=cache)
    assert second_settings.data_dir != first_settings.data_dir and second_settings.cache == cache
    second = Components(second_settings).visual
    second.zero_shot_classifiers()
    assert second.prompt_cache.computed == 0 and second.prompt_cache.loaded == 2
    assert [f.stat().st_mtime_ns for f in files] == stamps  # read, never rewritten
    assert second_settings.numba_cache == cache / "numba"


def test_the_default_cache_is_the_users_not_the_data_dirs(tmp_path, monkeypatch):
    monkeypatch.delenv("REELSENSE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    a, b = Settings(data_dir=tmp_path / "a"), Settings(data_dir=tmp_path / "b")
    assert a.cache == b.cache == tmp_path / "xdg" / "reelsense"
    assert a.numba_cache == b.numba_cache == tmp_path / "xdg" / "reelsense" / "numba"
    monkeypatch.setenv("REELSENSE_CACHE_DIR", str(tmp_path / "set"))
    assert Settings(data_dir=tmp_path / "a").cache == tmp_path / "set"


def test_the_background_warm_up_builds_the_classifiers(settings_factory, tmp_path):
    visual = Components(settings_factory(cache_dir=tmp_path / "machine")).visual
    thread = visual.warm_up_background()
    assert thread is not None
    thread.join(timeout=120)
    assert visual.prompt_cache is not None and visual.prompt_cache.computed == 2
    assert visual.warm_up_background() is None  # built: nothing left to do
