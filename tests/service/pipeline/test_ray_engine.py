"""`reelsense embed --engine ray` on a Ray started here (2 CPUs, no dashboard): the same ids and vectors as the
local engine, bad files listed with their codes while the good ones are written, a rerun that skips what is
done, and shards that `reelsense import` turns into a store serving a feed. One Ray for the module and one
folder embedded by both engines keep the added time small (Ray's start-up and actor start-up dominate)."""
from __future__ import annotations

import io
import json
import re
import shutil
import sys
from contextlib import redirect_stderr

import numpy as np
import pyarrow.parquet as pq
import pytest

from service.cli import main
from service.fusion import MODALITIES
from tests.helpers import SAMPLE_MEDIA

ray = pytest.importorskip("ray")

BAD = {"junk.mp4": "not_media", "truncated.mp4": "corrupt"}


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def env(settings_factory):
    settings = settings_factory()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"DATA_DIR": settings.data_dir, "CLIP_MODEL": settings.clip_model,
                            "CLIP_PRETRAINED": settings.clip_pretrained, "MAX_FRAMES": 8,
                            "CLIP_TEXT_SEARCH": "false"}.items():
            mp.setenv(f"REELSENSE_{name}", str(value))
        yield settings


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """The sample media plus a file that is no video and one cut short."""
    folder = tmp_path_factory.mktemp("media")
    shutil.copytree(SAMPLE_MEDIA, folder, dirs_exist_ok=True)
    (folder / "junk.mp4").write_bytes(b"no video in here" * 64)
    (folder / "truncated.mp4").write_bytes((SAMPLE_MEDIA / "pasta_recipe.mp4").read_bytes()[:20_000])
    return folder


@pytest.fixture(scope="module")
def runs(ray_cluster, env, media, tmp_path_factory):
    """Both engines over the same folder: local into a store and a Parquet file, Ray (reading the folder as a
    `file://` URI, the code path of remote filesystems) into a shard folder."""
    work = tmp_path_factory.mktemp("runs")
    with redirect_stderr(io.StringIO()) as local_err:
        local_code = main(["embed", str(media), "--db", str(work / "local.db"), "--out", str(work / "local.parquet"),
                           "--quiet"])
    with redirect_stderr(io.StringIO()) as ray_err:
        ray_code = main(["embed", f"file://{media}", "--engine", "ray", "--out", str(work / "shards"), "--quiet"])
    (work / "local.err").write_text(local_err.getvalue())
    (work / "ray.err").write_text(ray_err.getvalue())
    return work, local_code, ray_code


def _rows(path) -> dict[str, dict]:
    return {r["id"]: r for r in pq.read_table(path).to_pylist()}


def _cosine(a: list[float], b: list[float]) -> float:
    a, b = np.asarray(a), np.asarray(b)
    if not np.linalg.norm(a) and not np.linalg.norm(b):
        return 1.0  # the modality is absent in both (a silent clip)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_ray_engine_gives_the_local_engines_ids_and_vectors(runs, media):
    work, _, _ = runs
    local, shards = _rows(work / "local.parquet"), _rows(work / "shards")
    assert set(shards) == set(local)
    assert len(shards) == len(list(SAMPLE_MEDIA.glob("*.mp4")))
    for video_id, row in shards.items():
        assert row["path"] == f"file://{local[video_id]['path']}"
        assert row["title"] == local[video_id]["title"]
        for column in ("fused_vector", *(f"{m}_vector" for m in MODALITIES)):
            assert _cosine(row[column], local[video_id][column]) >= 0.999, (row["path"], column)


def test_bad_files_are_listed_with_their_codes_and_the_good_ones_written(runs, media, capsys):
    work, local_code, ray_code = runs
    assert ray_code == local_code == 1
    errors = [json.loads(line) for line in (work / "shards" / "_errors.jsonl").read_text().splitlines()]
    assert {e["path"].rsplit("/", 1)[-1]: e["code"] for e in errors} == BAD
    assert all(e["message"] for e in errors)


def test_both_engines_report_each_failure_the_same_way(runs, media):
    """One runner, one failure type: each bad file is announced as it fails and listed at the end, in the same
    words by both engines (the Ray engine names the file by the URI it read)."""
    work, _, _ = runs

    def failures(err: str) -> list[str]:
        lines = [re.sub(r"(?:file://)?/\S*/", "", line) for line in err.splitlines()]
        return sorted(line for line in lines if line.startswith(("FAILED", "  failed:")))

    local, ray = failures((work / "local.err").read_text()), failures((work / "ray.err").read_text())
    assert local == ray
    assert sorted(line.split()[1].rstrip(":") for line in local if line.startswith("FAILED")) == sorted(BAD)


def test_a_second_run_skips_every_file_already_written(runs, media, capsys):
    work, _, _ = runs
    before = sorted(p.name for p in (work / "shards").glob("*.parquet"))
    code = main(["embed", f"file://{media}", "--engine", "ray", "--out", str(work / "shards"), "--quiet"])
    err = capsys.readouterr().err
    good = len(list(SAMPLE_MEDIA.glob("*.mp4")))
    assert code == 1  # the bad files are tried again and still fail
    assert f"0 embedded into 0 shard(s), {good} already embedded, {len(BAD)} failed" in err
    assert sorted(p.name for p in (work / "shards").glob("*.parquet")) == before


def test_imported_shards_make_a_store_that_serves_a_feed(runs, capsys):
    work, _, _ = runs
    db = work / "served.db"
    assert main(["import", str(work / "shards"), "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    feed = ["recommend", "--user", "new-user", "--interests", "cooking pasta at home", "-k", "3", "--db", str(db)]
    assert main(feed) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert len(items) == 3
    assert {i["video_id"] for i in items} <= set(_rows(work / "shards"))


def test_without_ray_the_engine_says_how_to_install_it(env, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    code = main(["embed", str(SAMPLE_MEDIA), "--engine", "ray", "--out", str(tmp_path / "shards")])
    assert code == 3
    assert "pip install 'reelsense[ray]'" in capsys.readouterr().err


def test_actor_plan_gives_each_gpu_a_model_actor_and_the_other_cpus_to_the_cpu_stage(settings_factory):
    from service.pipeline.ray_engine import plan_actors

    plan = plan_actors(settings_factory().ray, {"CPU": 32.0, "GPU": 2.0})
    assert (plan.model_actors, plan.model_gpus, plan.model_cpus) == (2, 1, 1.0)
    assert (plan.media_actors, plan.media_cpus) == (30, 1.0)


def test_actor_plan_without_gpus_fits_every_actor_in_the_cpus(settings_factory):
    from service.pipeline.ray_engine import plan_actors

    plan = plan_actors(settings_factory().ray, {"CPU": 2.0})
    assert (plan.model_actors, plan.model_gpus) == (1, 0)
    assert plan.media_actors == 2
    assert plan.media_actors * plan.media_cpus + plan.model_actors * plan.model_cpus <= 2.0
