"""A running server serves what other processes write to its store: `reelsense import`, `reelsense embed --db`,
`reelsense events` and a deletion, each run as its own process on the server's database while the server runs.

The waits below are generous because this machine is shared; bench/serve_scale.py measures the actual delay."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from service.api import create_app
from service.pipeline import file_sha256
from service.pipeline.parquet import write_parquet
from tests.helpers import REPO, SAMPLE_MEDIA, sidecar
from tests.helpers.api import AUTH, KEY, serving
from tests.helpers.processes import eventually, reelsense, settings_env
from tests.helpers.records import synthetic_record

IMPORTED = ("pasta_recipe", "gym_workout", "cat_zoomies")


@pytest.fixture(scope="module")
def served(settings_factory):
    """(settings, HTTP client) of a real server (no analysis workers: nothing is uploaded to it)."""
    settings = settings_factory(api_keys=KEY, change_poll_s=0.1)
    with serving(create_app(settings, start_workers=False)) as base, httpx.Client(base_url=base, timeout=60) as http:
        yield settings, http


@pytest.fixture(scope="module")
def imported(served, analyzer, tmp_path_factory) -> dict[str, str]:
    """Three batch-embedded records in the analyzer's space, written as Parquet and loaded by `reelsense import`;
    name -> id. Their text vectors are MiniLM's of the sample clips' words (what search ranks by), the other
    modalities random: analysing the clips would only add time."""
    settings, _ = served
    rng = np.random.default_rng(0)
    records = []
    for name in IMPORTED:
        words = sidecar(name)
        vectors = {"text": analyzer.text.embed([f"{words['title']}. {words['description']}"])[0],
                   "visual": rng.normal(size=analyzer.dims["visual"]), "audio": rng.normal(size=analyzer.dims["audio"])}
        video_id = hashlib.sha256(name.encode()).hexdigest()
        records.append(synthetic_record(video_id, vectors, space_id=analyzer.space_id, created_at=time.time()))
    parquet = tmp_path_factory.mktemp("batch") / "batch.parquet"
    write_parquet(records, parquet)
    reelsense(settings, "import", str(parquet), "--quiet")
    return {name: r.id for name, r in zip(IMPORTED, records, strict=True)}


def feed(http, user: str = "anyone") -> dict[str, dict]:
    params = {"k": 50, "explain": "full"}
    items = http.get(f"/users/{user}/recommendations", params=params, headers=AUTH).json()["items"]
    return {item["video_id"]: item for item in items}


def search(http, query: str) -> list[str]:
    return [item["video_id"] for item in http.get("/search", params={"q": query, "k": 10}).json()["items"]]


def test_imported_videos_show_up_in_the_feed_and_search(served, imported):
    _, http = served
    assert eventually(lambda: set(imported.values()) <= set(feed(http)))
    assert search(http, "cooking pasta recipe")[0] == imported["pasta_recipe"]


def test_a_video_deleted_by_another_process_leaves_the_feed_and_search(served, imported):
    settings, http = served
    gone = imported["gym_workout"]
    assert eventually(lambda: gone in feed(http))
    script = f"from service.storage import Store\nwith Store({str(settings.database)!r}) as s: s.delete({gone!r})"
    subprocess.run([sys.executable, "-c", script], env=settings_env(settings), cwd=REPO, check=True, timeout=120)
    assert eventually(lambda: gone not in feed(http))
    assert gone not in search(http, "gym workout training")


def test_events_recorded_by_another_process_move_the_exposure_stage(served, imported, tmp_path):
    settings, http = served
    video = imported["cat_zoomies"]
    assert eventually(lambda: video in feed(http))
    assert feed(http)[video]["explanation"]["stage"]["stage"] == 0
    events = [{"user_id": f"viewer{i}", "video_id": video, "type": "impression", "timestamp": 100.0 + i}
              for i in range(25)] + [{"user_id": f"viewer{i}", "video_id": video, "type": "like",
                                      "timestamp": 200.0 + i} for i in range(5)]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events))
    reelsense(settings, "events", str(tmp_path / "events.jsonl"))
    # 25 impressions pass the first stage's budget (20) at a 20 % engagement rate: promoted to stage 1
    assert eventually(lambda: feed(http)[video]["explanation"]["stage"]["stage"] == 1)


def test_a_video_embedded_by_another_process_shows_up(served, imported, tmp_path):
    settings, http = served
    folder = tmp_path / "media"
    folder.mkdir()
    for suffix in (".mp4", ".json"):
        shutil.copy(SAMPLE_MEDIA / f"dance_party{suffix}", folder)
    done = reelsense(settings, "embed", str(folder), "--quiet")
    assert "1 embedded" in done.stderr
    video = file_sha256(folder / "dance_party.mp4")
    assert eventually(lambda: video in feed(http))
    assert search(http, "dance party")[0] == video
