"""A `reelsense embed --db` killed with SIGKILL part-way leaves a sound store: the integrity check passes, every
stored video is complete (no rows of a video half-written), and running the command again finishes the job."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, SAMPLE_MEDIA

pytestmark = pytest.mark.slow  # two CLI runs that load the models
CLIPS = ["cat_zoomies", "dance_party", "gym_workout", "pasta_recipe"]
CHILD_TABLES = ["modality_features", "video_frames", "video_shots", "moments"]


def _embed(folder: Path, db: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "service.cli", "embed", str(folder), "--db", str(db), "--quiet"],
                            env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0


@pytest.fixture(scope="module")
def killed_then_resumed(settings_factory, tmp_path_factory):
    settings = settings_factory()
    folder = tmp_path_factory.mktemp("crash_media")
    for name in CLIPS:
        shutil.copy(SAMPLE_MEDIA / f"{name}.mp4", folder)
    db = folder.parent / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "REELSENSE_DATA_DIR": str(settings.data_dir),
           "REELSENSE_CLIP_MODEL": settings.clip_model, "REELSENSE_CLIP_PRETRAINED": settings.clip_pretrained,
           "REELSENSE_MAX_FRAMES": "8", "REELSENSE_MEDIA_PROCESSES": "1", "REELSENSE_OCR_ENABLED": "false",
           "REELSENSE_SAFETY_ENABLED": "false"}  # what is stored, not how much is measured, is under test
    first = _embed(folder, db, env)
    deadline = time.monotonic() + 600
    while _count(db, "SELECT COUNT(*) FROM videos") < 1 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    stored_at_kill = _count(db, "SELECT COUNT(*) FROM videos")
    with sqlite3.connect(db) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        incomplete = conn.execute("SELECT COUNT(*) FROM videos v WHERE (SELECT COUNT(*) FROM modality_features f "
                                  "WHERE f.video_id = v.id) != 3").fetchone()[0]
        orphans = sum(conn.execute(f"SELECT COUNT(*) FROM {t} WHERE video_id NOT IN (SELECT id FROM videos)")
                      .fetchone()[0] for t in CHILD_TABLES)
    second = _embed(folder, db, env)
    _, err = second.communicate(timeout=600)
    return {"killed_code": first.returncode, "stored_at_kill": stored_at_kill, "integrity": integrity,
            "incomplete": incomplete, "orphans": orphans, "rerun_code": second.returncode, "rerun_err": err,
            "stored_after": _count(db, "SELECT COUNT(*) FROM videos")}


def test_the_first_run_was_killed_part_way(killed_then_resumed):
    assert killed_then_resumed["killed_code"] == -signal.SIGKILL
    assert 1 <= killed_then_resumed["stored_at_kill"] < len(CLIPS)


def test_the_store_passes_the_integrity_check_after_the_kill(killed_then_resumed):
    assert killed_then_resumed["integrity"] == "ok"


def test_nothing_is_half_written(killed_then_resumed):
    assert (killed_then_resumed["incomplete"], killed_then_resumed["orphans"]) == (0, 0)


def test_the_rerun_completes_what_was_left(killed_then_resumed):
    outcome = killed_then_resumed
    assert outcome["rerun_code"] == 0, outcome["rerun_err"]
    assert outcome["stored_after"] == len(CLIPS)
    embedded = len(CLIPS) - outcome["stored_at_kill"]
    assert f"{embedded} embedded, {outcome['stored_at_kill']} already stored" in outcome["rerun_err"]
