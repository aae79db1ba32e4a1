"""The batch record schema carries everything a stored video has: sample clips, two videos over one song and a
re-encoded copy, embedded by each engine, imported into an empty store, answer same-sound, `duplicate_of`,
moments in search and the frames endpoint as the store that embedded them (the upload path: `Store.add`) does.
Import reads a `file://` URI and a fake object store (pyarrow's LocalFileSystem under a SubTreeFileSystem)."""
from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr

import numpy as np
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from service.cli import main
from service.pipeline.importing import import_parquet
from service.pipeline.parquet import SCHEMA_VERSION
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.soundtracks import SR, picture, track, transcode, write_video

ray = pytest.importorskip("ray")

SAMPLES = ("pasta_recipe", "cat_zoomies")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Two sample clips, one song under two pictures (the second starts 9.5 s into the first), a clip and its
    downscaled, trimmed, re-encoded copy, and a byte-identical second copy of a sample clip; the clip's sidecar
    is invalid."""
    folder = tmp_path_factory.mktemp("batch_media")
    for name in SAMPLES:
        for suffix in (".mp4", ".json"):
            shutil.copy(SAMPLE_MEDIA / f"{name}{suffix}", folder)
    shutil.copy(SAMPLE_MEDIA / "pasta_recipe.mp4", folder / "zz_same_bytes.mp4")
    song = track(1, 24.0)
    write_video(folder / "song_a.mp4", 12.0, song[int(2.5 * SR):], picture(2))
    write_video(folder / "song_b.mp4", 10.0, song[int(12.0 * SR):], picture(3))
    write_video(folder / "clip.mp4", 8.0, track(3, 8.0), picture(5))
    transcode(folder / "clip.mp4", folder / "clip_copy.mp4", scale=0.5, trim_s=2.0, audio_bitrate=32000)
    (folder / "clip.json").write_text('{"title": 42}')  # a sidecar that is ignored, with a warning
    return folder


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
def outputs(env, media, tmp_path_factory):
    """The local engine into a store (the reference: records stored as an upload stores them) and a Parquet file;
    the Ray engine (2 CPUs, reading a `file://` URI) into a folder of shards."""
    work = tmp_path_factory.mktemp("batch_out")
    with redirect_stderr(io.StringIO()):
        assert main(["embed", str(media), "--db", str(work / "local.db"), "--out", str(work / "local.parquet"),
                     "--quiet"]) == 0
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        with redirect_stderr(io.StringIO()) as err:
            code = main(["embed", f"file://{media}", "--engine", "ray", "--out", str(work / "shards"), "--quiet"])
        assert code == 0, err.getvalue()
    finally:
        ray.shutdown()
    (work / "ray.err").write_text(err.getvalue())
    return work


def _ids(store: Store) -> dict[str, str]:
    """file stem -> id (the byte-identical copy shares its original's id)."""
    return {r.path.rsplit("/", 1)[-1].removesuffix(".mp4"): r.id for r in store.records()}


def _import(source, db, fs=None) -> Store:
    store = Store(db)
    import_parquet(store, source, chunk=3, fs=fs)
    return store


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_an_imported_store_serves_like_the_one_that_embedded(outputs, tmp_path, engine):
    source = outputs / ("local.parquet" if engine == "local" else "shards")
    with Store(outputs / "local.db") as reference, _import(f"file://{source}", tmp_path / "in.db") as store:
        ids = _ids(reference)
        assert set(store.ids()) == set(reference.ids())
        _same_sound(store, ids)
        assert store.get(ids["clip_copy"]).duplicate_of == ids["clip"]
        assert store.get(ids["clip"]).duplicate_of is None
        for vid in reference.ids():
            mine, theirs = store.get(vid), reference.get(vid)
            assert (mine.frames, mine.shot_starts) == (theirs.frames, theirs.shot_starts)
            assert store.frame_jpegs(vid) == reference.frame_jpegs(vid) != {}
            _same_moments(store.moments_of([vid])[vid], reference.moments_of([vid])[vid])
            if engine == "local":  # the same order of adds: the same links exactly
                assert store.print_links(vid) == reference.print_links(vid)


def _same_sound(store: Store, ids: dict[str, str]) -> None:
    link, items = store.same_sound(ids["song_a"])
    assert [i["video_id"] for i in items] == [ids["song_b"]]
    assert items[0]["offset_s"] == pytest.approx(9.5, abs=0.15)
    assert store.same_sound(ids["song_b"])[0]["sound_id"] == link["sound_id"]
    assert store.same_sound(ids["cat_zoomies"]) == (None, [])  # no audio stream


def _same_moments(mine, theirs) -> None:
    assert [(m.kind, m.start_s, m.end_s, m.frame_index, m.text, m.model) for m in mine] == \
        [(m.kind, m.start_s, m.end_s, m.frame_index, m.text, m.model) for m in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert (a.vector is None) == (b.vector is None)
        if a.vector is not None:
            np.testing.assert_allclose(a.vector, b.vector, atol=2e-3)


def test_search_and_frames_endpoint_answer_for_imported_videos(outputs, env, tmp_path, capsys):
    """The Ray output imported through the CLI: `reelsense search` finds the pasta clip with a moment, and the
    API serves its frame strip."""
    db = tmp_path / "served.db"
    assert main(["import", f"file://{outputs / 'shards'}", "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "garlic pasta", "-k", "3", "--db", str(db)]) == 0
    hits = json.loads(capsys.readouterr().out)["items"]
    pasta = next(h for h in hits if h["video_id"] == _pasta_id(outputs))
    assert pasta["moment"] is not None
    from service.api import create_app

    app = create_app(env.model_copy(update={"db_path": db, "api_keys": "k"}), start_workers=False)
    with TestClient(app) as client, Store(db) as store:
        video = client.get(f"/videos/{pasta['video_id']}").json()
        assert video["frames"] and video["shot_starts"] is not None
        r = client.get(f"/videos/{pasta['video_id']}/frames/{video['frames'][0]['index']}.jpg")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.content == store.frame_jpeg(pasta["video_id"], video["frames"][0]["index"])


def test_import_from_a_fake_object_store_resumes_and_skips_what_is_stored(outputs, tmp_path):
    """A bucket on a SubTreeFileSystem (the shape of an object store: no local paths), imported in two runs."""
    bucket = tmp_path / "bucket"
    shutil.copytree(outputs / "shards", bucket / "batch" / "run-1")
    fs = pafs.SubTreeFileSystem(str(bucket), pafs.LocalFileSystem())
    with Store(tmp_path / "in.db") as store:
        first = import_parquet(store, "batch/run-1", chunk=2, fs=fs)
        assert (first.imported, first.skipped) == (first.rows, 0)
        again = import_parquet(store, "batch/run-1", chunk=2, fs=fs)
        assert (again.imported, again.skipped, again.files_done) == (0, first.rows, again.files)


def test_shards_carry_the_schema_version_and_one_row_per_content(outputs):
    """Two identical files in one Ray run are written once; every row says its schema version."""
    table = pq.read_table(outputs / "shards")
    assert table.column("id").to_pylist().count(_pasta_id(outputs)) == 1
    assert set(table.column("schema_version").to_pylist()) == {SCHEMA_VERSION}
    assert pq.read_schema(next((outputs / "shards").glob("*.parquet"))).metadata[b"reelsense.schema"] == b"2"


def _pasta_id(outputs) -> str:
    with Store(outputs / "local.db") as store:
        return next(r.id for r in store.records() if r.path.endswith("pasta_recipe.mp4"))


def test_the_ray_summary_and_errors_file_list_the_warnings(outputs):
    """An ignored sidecar and a file skipped for its twin's content are warnings of the run: printed at its end and
    written to `_errors.jsonl` with level "warning"."""
    err = (outputs / "ray.err").read_text()
    assert "warning:" in err and "clip.mp4 [sidecar_invalid]" in err
    assert "[same_content]" in err
    rows = [json.loads(line) for line in (outputs / "shards" / "_errors.jsonl").read_text().splitlines()]
    assert {(r["path"].rsplit("/", 1)[-1], r["code"], r["level"]) for r in rows} >= {
        ("clip.mp4", "sidecar_invalid", "warning")}
    assert {r["code"] for r in rows} == {"sidecar_invalid", "same_content"}
