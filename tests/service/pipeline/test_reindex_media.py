"""`reelsense reindex` after a model change: a video embedded from a local file and an upload kept under
REELSENSE_KEEP_MEDIA are re-embedded; an upload whose file was not kept is named with the reason and stays in
the old space, flagged and out of the ranking, until its file is there and a second reindex re-embeds it."""
from __future__ import annotations

import shutil

import pytest

from service.api.uploads import Upload
from service.cli import main
from service.config import Settings
from service.pipeline.files import file_sha256
from service.pipeline.kept import KeptMedia
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture()
def env(analyzer, tmp_path, monkeypatch):
    settings = analyzer.settings
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REELSENSE_CLIP_MODEL", settings.clip_model)
    monkeypatch.setenv("REELSENSE_CLIP_PRETRAINED", settings.clip_pretrained)
    monkeypatch.setenv("REELSENSE_MAX_FRAMES", str(settings.max_frames))
    monkeypatch.setenv("REELSENSE_CLIP_TEXT_SEARCH", "false")
    return tmp_path


def _keep(src, media_root) -> str:
    """What the upload path does with REELSENSE_KEEP_MEDIA (service/api/ingest.py `_keep`)."""
    temp = media_root.parent / "incoming.part"
    temp.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, temp)
    sha = file_sha256(temp)
    return str(Upload(temp, temp.stat().st_size, sha, "mp4").keep(KeptMedia(media_root).folder_for(sha)))


def test_reindex_re_embeds_kept_media_and_flags_what_it_cannot(analyzer, env, monkeypatch, capsys):
    db, media = env / "store.db", env / "data" / "media"
    local = env / "local.mp4"
    shutil.copy(SAMPLE_MEDIA / "pasta_recipe.mp4", local)
    kept_path = _keep(SAMPLE_MEDIA / "gym_workout.mp4", media)
    with Store(db) as store:
        for path, stored_as in ((local, str(local)), (kept_path, kept_path),
                                (SAMPLE_MEDIA / "dance_party.mp4", "")):  # "": an upload whose file is gone
            record = analyzer.analyze(path)
            record.path = stored_as
            store.add(record)
        ids = {r.path: r.id for r in store.records()}
        lost, old_space = ids[""], store.space_id
    monkeypatch.setenv("REELSENSE_FUSION_TEMPERATURE", "1.0")  # another fusion setting: another space
    assert main(["reindex", "--db", str(db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"cannot re-embed {lost}: uploaded through the API without REELSENSE_KEEP_MEDIA=true" in err
    assert "re-embedded 2 videos" in err
    with Store(db) as store:
        assert store.space_id != old_space
        assert store.flagged_ids() == [lost] and store.get(lost).space_id == old_space
        assert set(store.slots_of(list(ids.values()))) == set(ids.values()) - {lost}  # out of the ranking
        assert {store.get(v).space_id for v in ids.values() if v != lost} == {store.space_id}
    # Its file turns up among the kept media: the next reindex re-embeds just that one and ranks it again.
    _keep(SAMPLE_MEDIA / "dance_party.mp4", media)
    assert main(["reindex", "--db", str(db), "--quiet"]) == 0
    assert "re-embedded 1 videos" in capsys.readouterr().err
    with Store(db) as store:
        assert store.flagged_ids() == []
        assert set(store.slots_of(list(ids.values()))) == set(ids.values())
    assert main(["reindex", "--db", str(db), "--quiet"]) == 0
    assert "nothing to do" in capsys.readouterr().err


def test_keep_media_is_off_by_default_and_points_the_api_at_the_data_dir(tmp_path):
    assert Settings(data_dir=tmp_path).api.kept_media is None
    assert Settings(data_dir=tmp_path, keep_media=True).api.kept_media == tmp_path / "media"
