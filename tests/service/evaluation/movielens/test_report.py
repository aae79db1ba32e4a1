"""The MovieLens table's aggregation: per-fold means and the 95% Student-t interval over the folds."""
from __future__ import annotations

import math

import pytest

from service.evaluation.movielens.report import Table, interval, lift, to_json
from service.evaluation.movielens.run import METHODS, EvalConfig


def test_the_interval_is_the_student_t_half_width_over_the_folds():
    mean, half = interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == pytest.approx(3.0)
    # sd = sqrt(2.5); t(0.975, 4) = 2.776445: 2.776445 * 1.581139 / sqrt(5)
    assert half == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert half == pytest.approx(1.963243, rel=1e-6)
    mean, half = interval([0.2, 0.4])  # t(0.975, 1) = 12.7062: wide with two folds
    assert half == pytest.approx(12.706205 * math.sqrt(0.02) / math.sqrt(2), rel=1e-6)
    assert interval([0.3]) == (pytest.approx(0.3), None)


def test_folds_are_averaged_first_then_summarised():
    table = Table()
    relevant = {1}
    for fold, hits in ((0, [[1], [2]]), (1, [[1], [1], [1], [2]])):  # fold 0: NDCG 1, 0; fold 1: 1, 1, 1, 0
        table.fold = fold
        for ranked in hits:
            table.add("new user, 0 events", "reelsense", ranked, relevant)
    s = table.summary("new user, 0 events", "reelsense")
    assert s["requests"] == 6 and s["folds"] == 2
    assert s["ndcg@10"]["per_fold"] == pytest.approx([0.5, 0.75])
    assert s["ndcg@10"]["mean"] == pytest.approx(0.625)  # the pooled mean would be 4/6
    assert table.mean("new user, 0 events", "reelsense")[2] == pytest.approx(4 / 6)
    assert s["ndcg@10"]["half_interval"] == pytest.approx(12.706205 * math.sqrt(0.03125) / math.sqrt(2), rel=1e-6)


def test_the_lift_is_paired_per_fold_against_the_best_baseline():
    table = Table()
    for fold, (ours, pop, ease) in enumerate(((6, 5, 4), (9, 8, 2), (9, 5, 0))):  # hits out of 12 requests
        table.fold = fold
        for method, hits in (("reelsense", ours), ("popularity", pop), ("ease^r", ease)):
            for i in range(12):
                table.add("new user, 1 event", method, [1] if i < hits else [2], {1})
    up = lift(table, "new user, 1 event")
    assert up["best"] == "popularity"
    assert up["lift"] == pytest.approx((8 / 12) / (6 / 12) - 1)  # mean over folds 8/12 against 6/12
    assert up["per_fold"] == pytest.approx([1 / 6, 1 / 6, 4 / 6])  # differences over popularity's mean 6/12
    assert up["met"] and not up["met_at_lower_bound"]
    assert up["half_interval"] == pytest.approx(4.302653 * math.sqrt(3) / 6 / math.sqrt(3), rel=1e-6)
    assert lift(table, "new user, 1 event", method="ease^r")["lift"] == pytest.approx(2 / 6 - 1)  # a zero fold
    out = to_json(table, EvalConfig(), METHODS)["scenarios"]["new user, 1 event"]
    assert set(out["methods"]) == {"reelsense", "popularity", "ease^r"}
    assert out["lift"]["best"] == "popularity"


def test_a_fold_where_the_best_baseline_scores_zero_still_has_a_lift():
    table = Table()
    for fold, (ours, pop) in enumerate(((1, 0), (2, 2))):
        table.fold = fold
        for method, hits in (("reelsense", ours), ("popularity", pop)):
            for i in range(4):
                table.add("new items, known users", method, [1] if i < hits else [2], {1})
    assert lift(table, "new items, known users")["lift"] == pytest.approx(0.5)  # 3/8 against 2/8
