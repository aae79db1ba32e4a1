"""Learning the global modality weights from engagement: a non-negative logistic fit on per-modality
contributions, judged by held-out AUC."""
from __future__ import annotations

import numpy as np

from service.fusion.vectors import MODALITIES, normalize_weights


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (scikit-learn, ties averaged); 0.5 when one class is missing."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels, bool)
    if labels.all() or not labels.any():
        return 0.5
    return float(roc_auc_score(labels, np.asarray(scores, np.float64)))


def fit_modality_weights(
    parts: np.ndarray, labels: np.ndarray, steps: int = 800, lr: float = 0.5, l2: float = 1e-3
) -> dict[str, float]:
    """Weights a_m that make sum_m sqrt(a_m) * parts[:, m] best predict engagement.

    `parts[:, m]` is a modality's contribution with unit user weight (sqrt(w_video,m) * cosine).
    Logistic regression on those columns with non-negative coefficients c_m = softplus(theta_m);
    the coefficient is sqrt(a_m), so a = c^2 / sum(c^2).
    """
    x = np.asarray(parts, np.float64)
    y = np.asarray(labels, np.float64)
    x = (x - x.mean(axis=0)) if len(x) else x
    theta = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(steps):
        c = np.log1p(np.exp(theta)) * 4.0
        z = x @ c + bias
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        err = p - y
        grad_c = x.T @ err / len(y) + l2 * c
        theta -= lr * grad_c * 4.0 / (1.0 + np.exp(-theta))
        bias -= lr * float(err.mean())
    c = np.log1p(np.exp(theta))
    return normalize_weights({m: float(c[i] ** 2) for i, m in enumerate(MODALITIES)})


def weighted_scores(parts: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """sum_m sqrt(a_m) * parts[:, m]: the matcher's score under scoring weights `weights`."""
    coef = np.array([np.sqrt(weights.get(m, 0.0)) for m in MODALITIES])
    return np.asarray(parts, np.float64) @ coef
