"""The test scores of a differential model, with their uncertainty.

- Pearson and Spearman r of predicted against observed log2 fold changes, each with a 95%
  percentile bootstrap interval over genes (``bootstrap_correlations``): the test genes are
  resampled with replacement and both correlations recomputed on each resample. A bootstrap
  rather than Fisher's z: fold changes are heavy-tailed (switching genes, expression zeros),
  where Fisher's interval, which assumes bivariate normality, is too narrow.
- The AUC of separating up genes from the others by the predicted fold change, and down genes
  from the others by its negative, each with DeLong's interval (``chromexpr.stats``); NaN where
  the test genes hold no gene (or only genes) of that class.
- Two models on the same genes (``paired_bootstrap``): the difference of their Pearson r on
  the same resamples, its interval and a two-sided bootstrap p-value (twice the smaller share
  of resampled differences on either side of 0).

Resamples come from ``numpy.random.default_rng(seed)``: the same seed gives the same intervals.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from chromexpr.evaluation import correlations
from chromexpr.stats import CONFIDENCE, auc_interval

RESAMPLES = 2000


def _resample_rows(n_genes: int, resamples: int, seed: int) -> np.ndarray:
    """Gene indices of each resample: [resamples, genes]."""
    if n_genes < 3:
        raise ValueError(f"a correlation interval needs at least 3 genes; got {n_genes}")
    return np.random.default_rng(seed).integers(0, n_genes, size=(resamples, n_genes))


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of ``x`` and ``y`` [rows, genes]: [rows] (NaN for a constant
    row)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    denominator = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=1) / denominator


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_correlations(
    observed: np.ndarray,
    predicted: np.ndarray,
    resamples: int = RESAMPLES,
    seed: int = 1,
    confidence: float = CONFIDENCE,
) -> dict[str, float]:
    """``pearson``, ``spearman`` and their ``_low``/``_high`` bootstrap interval over genes of
    ``predicted`` [genes] against ``observed`` [genes]. ValueError as ``correlations``."""
    observed = np.asarray(observed, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    point = correlations(observed, predicted)
    rows = _resample_rows(len(observed), resamples, seed)
    pearson = _row_pearson(observed[rows], predicted[rows])
    # Ranks within each resample (ties averaged), then Pearson of the ranks: Spearman's rho.
    spearman = _row_pearson(
        stats.rankdata(observed[rows], axis=1), stats.rankdata(predicted[rows], axis=1)
    )
    result = dict(point)
    for name, values in (("pearson", pearson), ("spearman", spearman)):
        result[f"{name}_low"], result[f"{name}_high"] = _interval(values, confidence)
    return result


def change_aucs(
    observed_classes: np.ndarray, predicted: np.ndarray, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """``auc_up`` (up against the rest, scored by the prediction) and ``auc_down`` (down against
    the rest, by minus the prediction), each with ``_low``/``_high`` DeLong bounds and the
    class's gene count ``n_up``/``n_down``. ``observed_classes`` [genes]: -1, 0, 1."""
    observed_classes = np.asarray(observed_classes)
    predicted = np.asarray(predicted, dtype=np.float64)
    result: dict[str, float] = {}
    for name, value, sign in (("up", 1, 1.0), ("down", -1, -1.0)):
        labels = (observed_classes == value).astype(np.int64)
        result[f"n_{name}"] = int(labels.sum())
        if 0 < labels.sum() < len(labels):
            interval = auc_interval(labels, sign * predicted, confidence)
            result.update(
                {
                    f"auc_{name}": interval.auc,
                    f"auc_{name}_low": interval.low,
                    f"auc_{name}_high": interval.high,
                }
            )
        else:
            result.update(
                {f"auc_{name}": np.nan, f"auc_{name}_low": np.nan, f"auc_{name}_high": np.nan}
            )
    return result


def paired_bootstrap(
    observed: np.ndarray,
    predicted_a: np.ndarray,
    predicted_b: np.ndarray,
    resamples: int = RESAMPLES,
    seed: int = 1,
    confidence: float = CONFIDENCE,
) -> dict[str, float]:
    """Pearson r of model a minus that of model b on the same genes: ``difference``, its
    bootstrap interval ``low``/``high`` and two-sided bootstrap ``p_value``."""
    observed = np.asarray(observed, dtype=np.float64)
    predicted_a = np.asarray(predicted_a, dtype=np.float64)
    predicted_b = np.asarray(predicted_b, dtype=np.float64)
    difference = (
        correlations(observed, predicted_a)["pearson"]
        - correlations(observed, predicted_b)["pearson"]
    )
    rows = _resample_rows(len(observed), resamples, seed)
    resampled = _row_pearson(observed[rows], predicted_a[rows]) - _row_pearson(
        observed[rows], predicted_b[rows]
    )
    resampled = resampled[np.isfinite(resampled)]
    low, high = _interval(resampled, confidence)
    p_value = min(1.0, 2 * min(np.mean(resampled <= 0), np.mean(resampled >= 0)))
    return {"difference": float(difference), "low": low, "high": high, "p_value": float(p_value)}
