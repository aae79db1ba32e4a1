"""The MovieLens table: recall@10 / NDCG@10 per scenario and method, aggregated per fold with a 95% Student-t
interval over the folds (mean of the fold means +- t(0.975, n-1) * sd / sqrt(n)), printed or as JSON."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from service.evaluation.movielens.protocol import SCENARIOS, metrics

CONFIDENCE = 0.95
BASELINES = ("popularity", "lightfm", "ease^r", "itemknn")  # what the target lift is measured against
TARGET_LIFT = 0.05  # NDCG@10 at least 5% above the best baseline


def interval(values) -> tuple[float, float | None]:
    """(mean, half-width of the 95% Student-t interval of the mean); the half-width is None for one value."""
    arr = np.asarray(values, float)
    mean = float(arr.mean())
    if len(arr) < 2:
        return mean, None
    sd = float(arr.std(ddof=1))
    return mean, float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(arr) - 1) * sd / math.sqrt(len(arr)))


@dataclass
class Table:
    rows: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)
    folds: dict[tuple[str, str], dict[int, list[tuple[float, float]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fold: int = 0  # the fold the next rows belong to

    def add(self, scenario: str, method: str, ranked: list[int], relevant: set[int]) -> None:
        m = metrics(ranked, relevant)
        self.rows.setdefault((scenario, method), []).append(m)
        self.folds.setdefault((scenario, method), {}).setdefault(self.fold, []).append(m)

    def mean(self, scenario: str, method: str) -> tuple[int, float, float] | None:
        """(requests, recall, NDCG) pooled over every request of every fold."""
        values = self.rows.get((scenario, method))
        if not values:
            return None
        arr = np.array(values)
        return len(values), float(arr[:, 0].mean()), float(arr[:, 1].mean())

    def per_fold(self, scenario: str, method: str) -> dict[int, tuple[float, float]]:
        """{fold: (recall, NDCG)} averaged over that fold's requests."""
        folds = self.folds.get((scenario, method), {})
        return {f: tuple(np.array(v).mean(axis=0).tolist()) for f, v in sorted(folds.items())}

    def summary(self, scenario: str, method: str) -> dict | None:
        folds = self.per_fold(scenario, method)
        if not folds:
            return None
        out = {"requests": len(self.rows[(scenario, method)]), "folds": len(folds)}
        for j, name in enumerate(("recall@10", "ndcg@10")):
            values = [v[j] for v in folds.values()]
            mean, half = interval(values)
            out[name] = {"mean": mean, "half_interval": half, "per_fold": values}
        return out


def lift(table: Table, scenario: str, method: str = "reelsense") -> dict | None:
    """NDCG@10 of `method` over the best baseline (by mean over folds): mean(ours) / mean(best) - 1, with the
    interval of the paired per-fold differences scaled by mean(best) (a fold where a baseline scores 0 is fine)."""
    ours = table.per_fold(scenario, method)
    base = {b: table.per_fold(scenario, b) for b in BASELINES}
    base = {b: v for b, v in base.items() if v and set(v) == set(ours)}
    if not ours or not base:
        return None
    best = max(base, key=lambda b: np.mean([v[1] for v in base[b].values()]))
    scale = float(np.mean([v[1] for v in base[best].values()]))
    if scale <= 0:
        return None
    lifts = [(ours[f][1] - base[best][f][1]) / scale for f in ours]
    mean, half = interval(lifts)
    return {"best": best, "lift": mean, "half_interval": half, "per_fold": lifts, "target": TARGET_LIFT,
            "met": mean >= TARGET_LIFT, "met_at_lower_bound": half is not None and mean - half >= TARGET_LIFT}


def _cell(s: dict, name: str) -> str:
    half = s[name]["half_interval"]
    return f"{s[name]['mean']:.4f}" + (f" ±{half:.4f}" if half is not None else " (1 fold)")


def format_table(table: Table, cfg, methods) -> str:
    lines = [f"reelsense {'after a per-fold fit' if cfg.fit else 'with no fit (online co-engagement only)'}; "
             f"mean over folds ± half of the {CONFIDENCE:.0%} Student-t interval",
             f"{'scenario':<28} {'method':<28} {'reqs':>5} {'folds':>5}  {'recall@10':<16} NDCG@10"]
    for scenario in SCENARIOS:
        for method in methods:
            s = table.summary(scenario, method)
            if s is not None:
                lines.append(f"{scenario:<28} {method:<28} {s['requests']:>5} {s['folds']:>5}  "
                             f"{_cell(s, 'recall@10'):<16} {_cell(s, 'ndcg@10')}")
        lines.append(_target_line(table, scenario))
    return "\n".join([*lines, *table.notes])


def _target_line(table: Table, scenario: str) -> str:
    ours = table.summary(scenario, "reelsense")
    if ours is None:
        return ""
    parts = []
    up = lift(table, scenario)
    if up:
        half = f" ±{up['half_interval']:.1%}" if up["half_interval"] is not None else ""
        parts.append(f"vs best baseline ({up['best']}): {up['lift']:+.1%}{half} per fold "
                     f"(target +5%: {'met' if up['met'] else 'missed'}"
                     f"{', lower bound too' if up['met_at_lower_bound'] else ''})")
    content = table.summary(scenario, "plain content")
    if content:
        above = ours["ndcg@10"]["mean"] > content["ndcg@10"]["mean"]
        parts.append(f"vs plain content {content['ndcg@10']['mean']:.4f}: {'above' if above else 'NOT above'}")
    return "  -> " + "; ".join(parts)


def to_json(table: Table, cfg, methods) -> dict:
    out = {"fit": cfg.fit, "folds": cfg.folds, "run_folds": cfg.run_folds, "seed": cfg.seed,
           "confidence": CONFIDENCE, "notes": table.notes, "scenarios": {}}
    for scenario in SCENARIOS:
        rows = {m: s for m in methods if (s := table.summary(scenario, m)) is not None}
        if rows:
            out["scenarios"][scenario] = {"methods": rows, "lift": lift(table, scenario)}
    return out
