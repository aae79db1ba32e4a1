"""`reelsense evaluate --movielens` on a tiny synthetic MovieLens folder: real text encoder, store, recommender."""
from __future__ import annotations

import pytest

from service.evaluation.movielens.data import read_movielens
from service.evaluation.movielens.protocol import SCENARIOS
from service.evaluation.movielens.run import EvalConfig, evaluate_movielens, format_table
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
    text = format_table(table, EvalConfig())
    assert "LightFM column skipped" in text
    assert "new user, stated interests" in text and "target +5%" in text

