"""Settings: validated on load, frozen, typed groups read from the same environment variables."""
from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from service.cli import main
from service.config import Settings


@pytest.mark.parametrize(("field", "value"), [
    ("device", "gpu"), ("workers", 0), ("mmr_lambda", 1.5), ("topics_coherence", "npmi"),
    ("exposure_stages", [200, 20]), ("frames_per_second", -1),
    ("decode_mode", "keyframes"), ("clip_precision", "int8"), ("gpu_decode", "maybe"), ("media_processes", -1),
])
def test_invalid_values_are_refused_on_load(tmp_path, field, value):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **{field: value})


def test_settings_are_frozen(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ValidationError):
        settings.workers = 4
    assert settings.model_copy(update={"workers": 4}).workers == 4


def test_groups_read_the_flat_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("REELSENSE_HNSW_EF_SEARCH", "321")
    monkeypatch.setenv("REELSENSE_SIGNAL_LIKE", "2.5")
    settings = Settings(data_dir=tmp_path)
    assert (settings.index.ef_search, settings.signals.like) == (321, 2.5)


def test_cli_names_the_bad_setting(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REELSENSE_DEVICE", "gpu")
    assert main(["topics", "show"]) == 3
    assert capsys.readouterr().err.splitlines()[-1].startswith("error [invalid_setting]: REELSENSE_DEVICE: ")


def test_batch_settings_reach_the_components(tmp_path):
    settings = Settings(data_dir=tmp_path, decode_mode="fast", media_processes=0)
    assert settings.sampling.decode_mode == "fast"
    assert settings.media_process_count == len(os.sched_getaffinity(0))
    assert Settings(data_dir=tmp_path).sampling.decode_mode == "reference"
