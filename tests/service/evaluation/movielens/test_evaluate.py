"""`reelsense evaluate --movielens` on a tiny synthetic MovieLens folder: real text encoder, store, recommender."""
from __future__ import annotations

import pytest

from service.evaluation.movielens.data import read_movielens
from service.evaluation.movielens.protocol import SCENARIOS
from service.evaluation.movielens.report import format_table
from service.evaluation.movielens.run import METHODS, EvalConfig, evaluate_movielens
from tests.helpers.movielens import synthetic_ratings, write_100k, write_latest


@pytest.fixture(scope="module")
def table(analyzer, tmp_path_factory):
    folder = write_latest(tmp_path_factory.mktemp("ml") / "ml-synthetic")
    cfg = EvalConfig(folds=4, run_folds=1, half_life_days=30.0, lightfm=False)
    return evaluate_movielens(folder, analyzer.settings, analyzer.text, cfg, tmp_path_factory.mktemp("work"),
                              say=lambda _: None)


def test_both_layouts_read_the_same_movies_and_ratings(tmp_path):
    latest = read_movielens(write_latest(tmp_path / "latest"))
    old = read_movielens(write_100k(tmp_path / "100k"))
    movies, ratings = synthetic_ratings()
    assert latest.movie_ids == old.movie_ids == [str(m) for m, _, _ in movies]
    assert latest.genres == old.genres
    assert len(latest.ratings) == len(old.ratings) == len(ratings)
    assert (latest.kinds() == old.kinds()).all()


def test_a_folder_without_movielens_files_is_a_clear_error(tmp_path):
    from service.errors import CommandError

    with pytest.raises(CommandError) as err:
        read_movielens(tmp_path)
    assert err.value.code == "not_found"


def test_every_scenario_is_measured_for_the_ranker_and_the_baselines(table):
    for scenario in SCENARIOS:
        assert table.mean(scenario, "reelsense") is not None, scenario
        assert table.mean(scenario, "random") is not None, scenario


def test_the_ranker_learns_taste_from_a_few_events(table):
    ours = table.mean("new user, 5 events", "reelsense")[2]
    assert ours > table.mean("new user, 5 events", "random")[2]


def test_the_table_says_why_lightfm_is_missing(table):
    text = format_table(table, EvalConfig(), METHODS)
    assert "LightFM column skipped" in text
    assert "new user, stated interests" in text and "target +5%" in text



def test_the_item_item_baselines_are_measured_on_every_history_scenario(table):
    for scenario in ("new user, 1 event", "new user, 5 events", "new items, known users"):
        for method in ("ease^r", "itemknn"):
            assert table.mean(scenario, method) is not None, (scenario, method)


def test_ease_and_itemknn_rank_what_was_liked_together_first():
    import numpy as np

    from service.evaluation.movielens.data import MovieLens
    from service.evaluation.movielens.itemitem import EaseBaseline, ItemKnnBaseline

    users, items = [], []
    for u in range(60):  # half like movies 0+1, half 2+3; movie 4 is liked by everyone once in a while
        pair = (0, 1) if u % 2 else (2, 3)
        for m in (*pair, *((4,) if u % 3 == 0 else ())):
            users.append(f"u{u}")
            items.append(m)
    n = len(users)
    data = MovieLens([str(i) for i in range(5)], [f"m{i}" for i in range(5)], [["Drama"]] * 5, np.array(users),
                     np.array(items), np.full(n, 5.0), np.arange(n, dtype=float))
    train = np.arange(n)
    shown = np.array([0])  # a request revealing its like of movie 0 (the rating index 0 is u0 liking movie 2)
    assert data.items[shown[0]] == 2
    for model in (EaseBaseline(data, train, seed=0), ItemKnnBaseline(data, train)):
        scores = model.scores(shown)
        assert scores[3] > max(scores[0], scores[1], scores[4]), (type(model).__name__, scores)
