"""End to end on the sample media with real models: pipeline, fusion, store, CLI, Parquet."""
from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from service.cli import main
from service.errors import SpaceMismatchError
from service.fusion import MODALITIES, contributions
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA


def test_analyze_produces_every_modality(analyzer):
    record = analyzer.analyze(SAMPLE_MEDIA / "gym_workout.mp4")
    assert set(record.features) == set(MODALITIES)
    for m in MODALITIES:
        f = record.features[m]
        assert f.vector.dtype == np.float32
        assert np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
        assert 0 < f.confidence <= 1
    assert sum(record.fused.weights.values()) == pytest.approx(1.0)
    assert np.linalg.norm(record.fused.vector) == pytest.approx(1.0, abs=1e-4)
    assert any(t.label == "#fitness" and t.source == "hashtag" for t in record.tags)
    assert len(record.id) == 64


def test_absent_modalities_get_zero_weight(analyzer):
    silent = analyzer.analyze(SAMPLE_MEDIA / "forest_timelapse.mp4")
    no_audio = analyzer.analyze(SAMPLE_MEDIA / "cat_zoomies.mp4")
    for record in (silent, no_audio):
        assert record.features["audio"].confidence == 0
        assert record.fused.weights["audio"] == 0
        assert record.fused.weights["text"] + record.fused.weights["visual"] == pytest.approx(1.0)
    assert no_audio.features["audio"].stats["absent_reason"] == "no audio stream"


def test_similarity_splits_into_modality_contributions(analyzer):
    a = analyzer.analyze(SAMPLE_MEDIA / "gym_workout.mp4")
    b = analyzer.analyze(SAMPLE_MEDIA / "dance_party.mp4")
    parts = contributions(a.fused, b.fused.vector)
    assert sum(parts.values()) == pytest.approx(float(a.fused.vector @ b.fused.vector), abs=1e-5)
    expected_audio = np.sqrt(a.fused.weights["audio"] * b.fused.weights["audio"]) * float(
        a.features["audio"].vector @ b.features["audio"].vector
    )
    assert parts["audio"] == pytest.approx(expected_audio, abs=1e-5)


def test_store_round_trip_is_atomic_and_idempotent(analyzer, tmp_path):
    record = analyzer.analyze(SAMPLE_MEDIA / "pasta_recipe.mp4")
    with Store(tmp_path / "db.sqlite") as store:
        assert store.add(record) is True
        assert store.add(record) is False  # same content: no-op
        loaded = store.get(record.id)
        assert loaded.title == record.title and loaded.space_id == record.space_id
        np.testing.assert_array_equal(loaded.fused.vector, record.fused.vector)
        for m in MODALITIES:
            np.testing.assert_array_equal(loaded.features[m].vector, record.features[m].vector)
        assert [t.label for t in loaded.tags] == [t.label for t in record.tags]
        other = analyzer.analyze(SAMPLE_MEDIA / "sunset_beach.mp4")
        other.space_id = "text=another-model:768|visual=none:0"
        with pytest.raises(SpaceMismatchError, match="reindex"):
            store.add(other)
        assert store.count() == 1


def test_cli_embed_folder_with_bad_file(settings_factory, sample_copy, tmp_path, monkeypatch, capsys):
    settings = settings_factory()
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REELSENSE_CLIP_MODEL", settings.clip_model)
    monkeypatch.setenv("REELSENSE_CLIP_PRETRAINED", settings.clip_pretrained)
    (sample_copy / "broken.mp4").write_bytes(b"definitely not a video" * 50)
    out = tmp_path / "x.parquet"
    db = tmp_path / "store.db"
    timings = tmp_path / "timings.json"
    code = main(["embed", str(sample_copy), "--out", str(out), "--db", str(db), "--quiet", "--timings", str(timings)])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.mp4" in err and "[not_media]" in err
    stages = json.loads(timings.read_text())["stage_seconds"]
    assert {"decode", "frame_stats", "ocr", "audio", "text", "visual"} <= set(stages)
    assert all(seconds > 0 for seconds in stages.values())
    good = sorted(p for p in sample_copy.glob("*.mp4") if p.name != "broken.mp4")
    table = pq.read_table(out).to_pylist()
    assert len(table) == len(good)
    assert {r["path"].split("/")[-1] for r in table} == {p.name for p in good}
    row = table[0]
    assert len(row["fused_vector"]) == sum(len(row[f"{m}_vector"]) for m in MODALITIES)
    assert row["space_id"] and row["tags"]
    with Store(db) as store:
        assert store.count() == len(good)
    # Second run: resumable, nothing new embedded, still reports the bad file.
    (sample_copy / "broken.mp4").unlink()
    code = main(["embed", str(sample_copy), "--db", str(db), "--quiet"])
    assert code == 0
    assert f"0 embedded, {len(good)} already stored" in capsys.readouterr().err


def test_cli_tag_prints_json(settings_factory, monkeypatch, capsys, tmp_path):
    settings = settings_factory()
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REELSENSE_CLIP_MODEL", settings.clip_model)
    monkeypatch.setenv("REELSENSE_CLIP_PRETRAINED", settings.clip_pretrained)
    assert main(["tag", str(SAMPLE_MEDIA / "rainy_study.mp4"), "--hashtags", "#rain #cozy"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"#rain", "#cozy"} <= {t["label"] for t in result["tags"]}
    assert result["vector_dim"] > 0 and set(result["weights"]) == set(MODALITIES)
    bad = tmp_path / "zero.mp4"
    bad.write_bytes(b"")
    assert main(["tag", str(bad)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "error [empty_file]: zero.mp4 is empty (0 bytes)"


def test_missing_clip_weights_warn_or_fail(settings_factory, tmp_path):
    from extractors.errors import ModelUnavailableError
    from extractors.visual import ClipSpec, VisualExtractor

    missing = ClipSpec("ViT-B-32", str(tmp_path / "absent.pt"))
    lenient = VisualExtractor(missing, strict=False)
    assert lenient.clip is None and "REELSENSE_CLIP_PRETRAINED" in lenient.unavailable_reason
    assert lenient.extract_frames([np.zeros((8, 8, 3), np.uint8)]).confidence == 0
    with pytest.raises(ModelUnavailableError, match="REELSENSE_CLIP_PRETRAINED"):
        VisualExtractor(missing, strict=True)


def test_reindex_moves_the_store_to_the_new_space_and_keeps_events(analyzer, tmp_path, monkeypatch, capsys):
    db = tmp_path / "store.db"
    clips = [SAMPLE_MEDIA / "pasta_recipe.mp4", SAMPLE_MEDIA / "gym_workout.mp4"]
    with Store(db) as store:
        for clip in clips:
            store.add(analyzer.analyze(clip))
        video = store.ids()[0]
        store.add_events([("u1", video, "like", 1000.0, None, None)])
        old_space = store.space_id
    settings = analyzer.settings
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REELSENSE_CLIP_MODEL", settings.clip_model)
    monkeypatch.setenv("REELSENSE_CLIP_PRETRAINED", settings.clip_pretrained)
    monkeypatch.setenv("REELSENSE_FUSION_TEMPERATURE", "1.0")  # another fusion setting: another space
    assert main(["reindex", "--db", str(db), "--quiet"]) == 0
    assert "re-embedded 2 videos" in capsys.readouterr().err
    with Store(db) as store:
        assert store.space_id != old_space and store.space_id.endswith("t1")
        assert {r.space_id for r in store.records()} == {store.space_id}
        assert len(store.events("u1")) == 1
    # A file that is gone is named and its video left flagged in the old space (exit 1), or dropped when told.
    with Store(db) as store:
        store.conn.execute("UPDATE videos SET path=? WHERE id=?", (str(tmp_path / "nowhere.mp4"), video))
        space = store.space_id
    monkeypatch.setenv("REELSENSE_FUSION_TEMPERATURE", "0.25")
    assert main(["reindex", "--db", str(db), "--quiet"]) == 1
    assert f"cannot re-embed {video}: {tmp_path / 'nowhere.mp4'} is gone" in capsys.readouterr().err
    with Store(db) as store:
        assert store.space_id != space and store.count() == 2 and store.flagged_ids() == [video]
    monkeypatch.setenv("REELSENSE_FUSION_TEMPERATURE", "0.3")
    assert main(["reindex", "--db", str(db), "--quiet", "--drop-missing"]) == 0
    with Store(db) as store:
        assert store.count() == 1 and store.flagged_ids() == []
