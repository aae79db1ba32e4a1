"""The matcher on the sample media with real models, through the Recommender and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from service.errors import QueryError
from service.fusion import MODALITIES
from service.recommend import Event, Recommender
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture(scope="module")
def sample_store(analyzer, tmp_path_factory):
    """The eight sample clips analysed once and stored; tests use distinct user ids."""
    db = tmp_path_factory.mktemp("matcher") / "store.db"
    store = Store(db)
    for _path, record, error, _ in analyzer.analyze_many(sorted(SAMPLE_MEDIA.glob("*.mp4"))):
        assert error is None
        store.add(record)
    yield store
    store.close()


@pytest.fixture(scope="module")
def rec(sample_store, analyzer):
    return Recommender(sample_store, analyzer.settings, text=analyzer.text, visual=analyzer.visual)


def name(rec: Recommender, video_id: str) -> str:
    return Path(rec.store.get(video_id).path).stem


@pytest.mark.parametrize("interests, expected, tag", [
    ("cooking pasta and italian recipes", "pasta_recipe", "food"),
    ("my cat and cute kittens", "cat_zoomies", "pets"),
    ("gym workouts and training", "gym_workout", "fitness"),
])
def test_stated_interests_make_the_first_feed_personal(rec, interests, expected, tag):
    user = f"onboard-{expected}"
    profile = rec.set_interests(user, interests)
    assert profile["interest_tags"][0]["label"] == tag
    feed = rec.recommend(user, k=4)
    top = feed[0]
    assert name(rec, top["video_id"]) == expected
    exp = top["explanation"]
    assert set(exp["contributions"]) == set(MODALITIES)
    assert top["score"] == pytest.approx(sum(exp["signals"].values()), abs=1e-3)
    assert exp["scoring_stage"] == "stated"
    assert tag in exp["matched_tags"] and exp["reason"] == "stated_interests"
    assert [it["rank"] for it in feed] == [1, 2, 3, 4]


def test_not_interested_drops_the_video_and_refresh_resets(rec):
    user = "foodie"
    rec.set_interests(user, "cooking pasta and italian recipes")
    pasta = rec.recommend(user, k=3)[0]["video_id"]
    rec.record_events([Event(user, pasta, "not_interested", 1000.0)])
    ids = [it["video_id"] for it in rec.recommend(user, k=8)]
    assert pasta not in ids
    assert rec.profile(user)["negative_tags"][0]["label"] == "food"
    rec.refresh(user)
    profile = rec.profile(user)
    assert profile["cold_start"] and profile["interest_tags"] == []
    feed = rec.recommend(user, k=8)
    assert pasta in [it["video_id"] for it in feed]
    assert {it["explanation"]["reason"] for it in feed} <= {"cold_start_user", "exploration"}


def test_engagement_moves_the_feed_and_seen_videos_are_excluded(rec):
    user = "dancer"
    vid = {name(rec, v): v for v in rec.store.ids()}
    rec.record_events([Event(user, vid["dance_party"], "view", 10.0, watch_seconds=5.0, completion=1.0),
                       Event(user, vid["dance_party"], "share", 11.0)])
    feed = rec.recommend(user, k=7)
    assert vid["dance_party"] not in [it["video_id"] for it in feed]
    assert feed[0]["explanation"]["reason"] in ("personal", "exploration")
    assert rec.profile(user)["event_counts"]["share"] == 1


def test_similar_and_search(rec):
    vid = {name(rec, v): v for v in rec.store.ids()}
    similar = rec.similar(vid["gym_workout"], k=3)
    assert len(similar) == 3 and vid["gym_workout"] not in [s["video_id"] for s in similar]
    assert similar[0]["explanation"]["reason"] == "similar"
    hits = rec.search("sunset at the beach on holiday", k=3)
    assert name(rec, hits[0]["video_id"]) == "sunset_beach"
    with pytest.raises(QueryError) as err:
        rec.similar("no-such-video")
    assert err.value.code == "not_indexed" and err.value.http_status == 409
    with pytest.raises(QueryError) as err:
        rec.search("  ")
    assert err.value.code == "empty_query"


def test_cli_recommend_events_and_refresh(sample_store, settings_factory, monkeypatch, capsys, tmp_path):
    settings = settings_factory()
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(settings.data_dir))
    db = str(sample_store.path)
    assert main(["recommend", "--db", db, "--user", "cli-user", "--interests", "cats and kittens", "-k", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert Path(out["items"][0]["path"]).stem == "cat_zoomies"
    assert out["items"][0]["explanation"]["matched_tags"][0] == "pets"
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"user_id": "cli-user", "video_id": out["items"][0]["video_id"],
                                  "type": "not_interested", "timestamp": 5.0}) + "\n"
                      + json.dumps({"user_id": "cli-user", "video_id": "missing", "type": "like"}) + "\n")
    assert main(["events", str(events), "--db", db]) == 1
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line == "error [unknown_video]: video 'missing' is not in the store (index: 1)"
    assert sample_store.events("cli-user") == []  # all or nothing
    events.write_text(events.read_text().splitlines()[0] + "\n")
    assert main(["events", str(events), "--db", db]) == 0
    assert main(["recommend", "--db", db, "--user", "cli-user", "-k", "8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "cat_zoomies" not in [Path(i["path"]).stem for i in out["items"]]
    assert main(["recommend", "--db", db, "--user", "cli-user", "--refresh", "-k", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["cold_start"] is True


def test_a_large_catalogue_updates_its_index_in_place_and_restarts_from_disk(sample_store, analyzer, tmp_path):
    """Above index_exact_max the index is HNSW: an upload is inserted, a delete marked, nothing rebuilt; the index
    saved next to the store is loaded and reconciled with what changed while no server ran."""
    settings = analyzer.settings.model_copy(update={"index_exact_max": 2})
    records = sample_store.records()
    with Store(tmp_path / "big.db") as store:
        store.add_many(records[:7])
        big = Recommender(store, settings, text=analyzer.text)
        index = big.catalogue().index
        assert index.kind == "hnsw" and len(big.catalogue()) == 7
        store.add(records[7])
        big.video_added(records[7].id)
        assert big.catalogue().index is index
        assert records[7].id in [item["video_id"] for item in big.recommend("new-user", k=8)]
        assert records[7].id in [item["video_id"] for item in big.similar(records[0].id, k=7)]
        gone = records[1].id
        store.delete(gone)
        big.video_deleted(gone)
        assert gone not in [item["video_id"] for item in big.similar(records[0].id, k=7)]
        assert gone not in [item["video_id"] for item in big.recommend("new-user", k=8)]
        big.save_index()
        store.delete(records[2].id)  # while no server runs
        restarted = Recommender(store, settings, text=analyzer.text)
        assert len(restarted.catalogue()) == 6
        assert restarted.catalogue().index.kind == "hnsw"
        ids = [item["video_id"] for item in restarted.similar(records[0].id, k=7)]
        assert records[2].id not in ids and records[7].id in ids


def test_explain_levels_in_the_library(rec, sample_store):
    """The API's `explain` levels are the recommender's: `false` no explanation, `brief` reason and top part, and
    anything else is a QueryError (the API refuses it earlier, as 422 invalid_request)."""
    assert all("explanation" not in item for item in rec.recommend("levels", k=3, explain="false"))
    brief = rec.similar(sample_store.records()[0].id, k=2, explain="brief")
    assert all(set(item["explanation"]) == {"reason", "top", "contribution"} for item in brief)
    for call in (lambda: rec.recommend("levels", explain="none"), lambda: rec.search("pasta", explain="short")):
        with pytest.raises(QueryError):
            call()


def test_recommenders_saving_one_index_at_once_take_turns(sample_store, analyzer, tmp_path):
    """Several processes of one host (`serve --processes`) save the same `<db>.index/` at shutdown: here two
    recommenders with their own catalogues, each saving from its own threads; every save completes and the
    folder left is whole (the lock file makes them take turns)."""
    from concurrent.futures import ThreadPoolExecutor

    from service.recommend.loading import index_dir

    settings = analyzer.settings.model_copy(update={"index_exact_max": 2})
    with Store(tmp_path / "shared.db") as store:
        store.add_many(sample_store.records()[:6])
        recs = [Recommender(store, settings, text=analyzer.text) for _ in range(2)]
        for r in recs:
            assert r.catalogue().index.kind == "hnsw"
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: recs[i % 2].save_index(), range(24)))  # raises what a save raised
        folder = index_dir(store.path)
        assert json.loads((folder / "meta.json").read_text())["videos"] == 6
        assert not folder.with_name(folder.name + ".tmp").exists()
        assert len(Recommender(store, settings, text=analyzer.text).catalogue()) == 6
