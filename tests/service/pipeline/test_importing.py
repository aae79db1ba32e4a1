"""`reelsense import`: an `embed --out` Parquet loaded into another store gives back the same records."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from service.cli import main
from service.fusion import MODALITIES
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.records import synthetic_record

CLIPS = ("pasta_recipe", "cat_zoomies")  # cat_zoomies has no audio stream: an absent modality round-trips too


@pytest.fixture(scope="module")
def embedded(settings_factory, tmp_path_factory):
    """Two sample clips embedded once by the real CLI into a store and a Parquet file."""
    settings = settings_factory()
    tmp_path = tmp_path_factory.mktemp("embedded")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in (("DATA_DIR", settings.data_dir), ("CLIP_MODEL", settings.clip_model),
                            ("CLIP_PRETRAINED", settings.clip_pretrained)):
            monkeypatch.setenv(f"REELSENSE_{name}", str(value))
        return _embed(tmp_path)


def _embed(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    for name in CLIPS:
        for suffix in (".mp4", ".json"):
            shutil.copy(SAMPLE_MEDIA / f"{name}{suffix}", folder)
    out, db = tmp_path / "shards" / "part-0.parquet", tmp_path / "embedded.db"
    assert main(["embed", str(folder), "--out", str(out), "--db", str(db), "--quiet"]) == 0
    return out, db


def _same(a, b) -> None:
    """Everything, sound ids and copy links included: the prints travel in the Parquet rows and the importing
    store links them as it would an upload."""
    assert a.summary(top=50) == b.summary(top=50)
    assert (a.frames, a.shot_starts) == (b.frames, b.shot_starts)
    assert (a.description, a.hashtags, a.creator, a.created_at, a.info, a.warnings) == \
        (b.description, b.hashtags, b.creator, b.created_at, b.info, b.warnings)
    np.testing.assert_array_equal(a.fused.vector, b.fused.vector)
    assert a.fused.weights == b.fused.weights and a.fused.dims == b.fused.dims
    for m in MODALITIES:
        fa, fb = a.features[m], b.features[m]
        np.testing.assert_array_equal(fa.vector, fb.vector)
        assert (fa.confidence, fa.model, fa.tags, fa.stats) == (fb.confidence, fb.model, fb.tags, fb.stats)


def test_import_round_trips_embed_output(embedded, tmp_path, capsys):
    out, embedded_db = embedded
    served = tmp_path / "served.db"
    capsys.readouterr()
    assert main(["import", str(out.parent), "--db", str(served), "--quiet"]) == 0
    assert "2 rows: 2 imported, 0 already stored" in capsys.readouterr().err
    with Store(embedded_db) as source, Store(served) as target:
        assert sorted(target.ids()) == sorted(source.ids())
        for vid in source.ids():
            _same(source.get(vid), target.get(vid))
        assert target.ranking_tags(source.ids()) == source.ranking_tags(source.ids())
    assert main(["import", str(out), "--db", str(served), "--quiet"]) == 0
    assert "2 rows: 0 imported, 2 already stored" in capsys.readouterr().err


def test_import_refuses_another_embedding_space(embedded, tmp_path, capsys):
    out, _ = embedded
    other = tmp_path / "other.db"
    with Store(other) as store:
        vectors = {m: np.ones(4, np.float32) for m in MODALITIES}
        store.add(synthetic_record("x", vectors, space_id="another-space"))
    capsys.readouterr()
    assert main(["import", str(out), "--db", str(other), "--quiet"]) == 4
    assert "error [space_mismatch]" in capsys.readouterr().err
    with Store(other) as store:
        assert store.count() == 1


def test_import_of_something_else_is_a_clean_error(tmp_path, capsys):
    bogus = tmp_path / "bogus.parquet"
    bogus.write_bytes(b"PAR1 not really")
    assert main(["import", str(bogus), "--db", str(tmp_path / "s.db"), "--quiet"]) == 1
    assert "error [unreadable]" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "absent"), "--db", str(tmp_path / "s.db"), "--quiet"]) == 1


def test_schema_1_output_still_imports_and_a_newer_schema_is_refused(embedded, tmp_path, capsys):
    import pyarrow.parquet as pq

    from service.pipeline.parquet import SCHEMA_VERSION, VERSION_KEY

    out, _ = embedded
    table = pq.read_table(out)
    media = [f.name for f in table.schema if table.schema.get_field_index(f.name) >= 27]
    old = tmp_path / "v1.parquet"
    pq.write_table(table.drop_columns(media).replace_schema_metadata(None), old)
    assert main(["import", str(old), "--db", str(tmp_path / "v1.db"), "--quiet", "--no-index"]) == 0
    with Store(tmp_path / "v1.db") as store:
        assert store.count() == 2 and all(store.print_links(v) == (None, None) for v in store.ids())
    newer = tmp_path / "v9.parquet"
    pq.write_table(table.replace_schema_metadata({VERSION_KEY: str(SCHEMA_VERSION + 7).encode()}), newer)
    capsys.readouterr()
    assert main(["import", str(newer), "--db", str(tmp_path / "v9.db"), "--quiet"]) == 1
    assert "error [unsupported_schema]" in capsys.readouterr().err
