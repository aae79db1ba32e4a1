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
    ("trusted_proxies", "10.0.0.1,not-an-address"), ("admin_rate_limit_per_s", -1),
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


def test_worker_ray_and_api_groups_read_the_flat_environment_names(monkeypatch, tmp_path):
    """The groups the process and HTTP layers take (service/options.py) carry the REELSENSE_* values unchanged."""
    for name, value in {"WORKERS": "3", "JOB_TIMEOUT_S": "9.5", "WORKER_MEMORY_MB": "0", "WORKER_MAX_JOBS": "7",
                        "RAY_MEDIA_ACTORS": "5", "RAY_MODEL_CPUS": "2.5", "RAY_BATCH_SIZE": "8", "RAY_IN_FLIGHT": "4",
                        "API_KEYS": " a, b ,", "CORS_ORIGINS": "http://x", "MAX_UPLOAD_MB": "1.5",
                        "ASYNC_UPLOAD_MB": "0.5", "MAX_JSON_KB": "2", "MAX_EVENTS_PER_BATCH": "10",
                        "ANALYSIS_QUEUE": "0", "KEEP_UPLOADS": "true", "USER_TOKEN_TTL_S": "60",
                        "RATE_LIMIT_PER_S": "0", "RATE_LIMIT_BURST": "3", "CHANGE_POLL_S": "0"}.items():
        monkeypatch.setenv(f"REELSENSE_{name}", value)
    settings = Settings(data_dir=tmp_path)
    workers, ray, api = settings.analysis_workers, settings.ray, settings.api
    assert (workers.count, workers.job_timeout_s, workers.memory_mb, workers.max_jobs) == (3, 9.5, 0, 7)
    assert (ray.media_actors, ray.model_actors, ray.model_cpus, ray.batch_size, ray.in_flight) == (5, 0, 2.5, 8, 4)
    assert (api.api_keys, api.cors_origins) == (("a", "b"), ("http://x",))
    assert (api.max_upload_bytes, api.async_upload_bytes, api.max_json_bytes) == (1572864, 524288, 2048)
    assert (api.max_events_per_batch, api.analysis_queue, api.keep_uploads) == (10, 0, True)
    assert (api.uploads, api.user_token_secret, api.user_token_ttl_s) == (tmp_path / "uploads", "", 60)
    assert (api.rate_limit_per_s, api.rate_limit_burst, api.change_poll_s) == (0.0, 3, 0.0)
