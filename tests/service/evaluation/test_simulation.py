"""Ranking metrics with known answers, and a small cold-start simulation that must beat both baselines."""
from __future__ import annotations

import math

import pytest

from service.config import Settings
from service.evaluation.simulation import SimulationConfig, ndcg_at_k, precision_at_k, recall_at_k, run_simulation


def test_metrics_known_values():
    ranked = ["a", "b", "c", "d"]
    assert precision_at_k(ranked, {"a", "c", "x"}, 2) == 0.5
    assert recall_at_k(ranked, {"a", "c", "x"}, 4) == pytest.approx(2 / 3)
    assert ndcg_at_k(ranked, {"a": 1.0}, 3) == 1.0
    assert ndcg_at_k(ranked, {"b": 1.0}, 3) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(ranked, {}, 3) == 0.0


def test_simulation_beats_popularity_and_random(tmp_path):
    cfg = SimulationConfig(videos=240, new_videos=40, warm_users=60, test_users=12, seed=3)
    figures = run_simulation(Settings(data_dir=tmp_path), cfg, text=None)
    for scenario in ("new user, 5 events", "new videos (no events), user after 5 events"):
        ours = figures[scenario]["reelsense"]["ndcg"]
        assert ours > figures[scenario]["popularity"]["ndcg"] + 0.05
        assert ours > figures[scenario]["random"]["ndcg"] + 0.05
