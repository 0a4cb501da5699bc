"""Uncertainty of a test AUC and the tests that compare models.

- DeLong's variance of one or several AUCs on the same genes (DeLong, DeLong and Clarke-Pearson
  1988), computed with the fast midrank algorithm of Sun and Xu (2014, IEEE Signal Processing
  Letters 21:1389), O(genes log genes) per model instead of O(positives x negatives);
- a confidence interval per AUC from that variance (normal on the AUC scale, clipped to [0, 1],
  as pROC's ``ci.auc(method="delong")``);
- DeLong's test of two correlated ROC curves (two models scored on the same genes), and of any
  contrast of several (the mean AUC of k models against another's);
- across samples (cells, or cell x fold x seed averaged per cell): the Wilcoxon signed-rank test
  on the per-sample AUC differences, a t interval of their mean, a two one-sided tests (TOST)
  equivalence test with a margin, and Holm's correction over the pairs compared.

Distributions and tests come from scipy and statsmodels; only DeLong's structural components are
computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

CONFIDENCE = 0.95


def _two_classes(labels: np.ndarray) -> np.ndarray:
    """``labels`` as booleans (True: positive), ValueError unless both classes are present."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) != 2 or not set(classes.tolist()) <= {0, 1}:
        raise ValueError(f"DeLong needs 0/1 labels of both classes; got {classes.tolist()}")
    return labels == 1


def delong_covariance(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(AUCs [models], DeLong covariance [models, models]) of ``scores`` [models, genes] (or
    [genes] for one model) against 0/1 ``labels`` [genes].

    Ties count one half, as in the AUC. Sun and Xu's algorithm: the structural components of
    every positive and negative follow from the midranks of the scores within each class and
    within all genes.
    """
    positive = _two_classes(labels)
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if scores.shape[1] != len(positive):
        raise ValueError(f"{scores.shape[1]} scores per model for {len(positive)} labels")
    if not np.all(np.isfinite(scores)):
        raise ValueError("DeLong needs finite scores; got NaN or infinity")
    ordered = np.concatenate([scores[:, positive], scores[:, ~positive]], axis=1)
    m = int(positive.sum())
    n = len(positive) - m
    rank_positive = stats.rankdata(ordered[:, :m], axis=1)
    rank_negative = stats.rankdata(ordered[:, m:], axis=1)
    rank_all = stats.rankdata(ordered, axis=1)
    aucs = (rank_all[:, :m].sum(axis=1) / m - (m + 1) / 2) / n
    # V10: per positive, the share of negatives it outranks; V01: per negative, the share of
    # positives that outrank it.
    v10 = (rank_all[:, :m] - rank_positive) / n
    v01 = 1 - (rank_all[:, m:] - rank_negative) / m
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((len(scores), len(scores)))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((len(scores), len(scores)))
    return aucs, s10 / m + s01 / n


@dataclass(frozen=True)
class AucInterval:
    """A test AUC, its DeLong standard error and its confidence interval."""

    auc: float
    se: float
    low: float
    high: float


def auc_interval(
    labels: np.ndarray, scores: np.ndarray, confidence: float = CONFIDENCE
) -> AucInterval:
    """The AUC of ``scores`` [genes] against ``labels`` [genes] with its DeLong interval."""
    aucs, covariance = delong_covariance(labels, scores)
    se = float(np.sqrt(covariance[0, 0]))
    z = stats.norm.ppf(0.5 + confidence / 2)
    auc = float(aucs[0])
    return AucInterval(auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se))


@dataclass(frozen=True)
class PairedAucTest:
    """DeLong's test of AUC(a) = AUC(b) for two models scored on the same genes."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    z: float
    p_value: float


@dataclass(frozen=True)
class ContrastTest:
    """DeLong's test of a contrast of correlated AUCs: weights . AUCs = 0."""

    estimate: float
    se: float
    z: float
    p_value: float


def delong_contrast(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> ContrastTest:
    """Two-sided DeLong test of ``weights`` [models] . AUCs = 0, the AUCs of ``scores`` [models,
    genes] (several models' scores of the same genes, in the order of ``labels`` [genes]); its
    variance is weights' DeLong covariance weights (DeLong et al. 1988, eq. 4)."""
    weights = np.asarray(weights, dtype=np.float64)
    aucs, covariance = delong_covariance(labels, scores)
    if weights.shape != aucs.shape:
        raise ValueError(f"{len(weights)} contrast weights for {len(aucs)} models")
    return _contrast_test(aucs, covariance, weights)


def _contrast_test(aucs: np.ndarray, covariance: np.ndarray, weights: np.ndarray) -> ContrastTest:
    estimate = float(weights @ aucs)
    se = float(np.sqrt(max(float(weights @ covariance @ weights), 0.0)))
    if se == 0:
        # Identical rankings: no evidence of a difference.
        return ContrastTest(estimate, se, 0.0, 1.0)
    z = estimate / se
    return ContrastTest(estimate, se, z, float(2 * stats.norm.sf(abs(z))))


def delong_test(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> PairedAucTest:
    """Two-sided DeLong test of two correlated ROC curves; ``scores_a``, ``scores_b`` [genes]
    are two models' scores of the same genes, in the order of ``labels`` [genes]."""
    aucs, covariance = delong_covariance(labels, np.vstack([scores_a, scores_b]))
    test = _contrast_test(aucs, covariance, np.array([1.0, -1.0]))
    return PairedAucTest(
        float(aucs[0]), float(aucs[1]), test.estimate, test.se, test.z, test.p_value
    )


def _differences(differences: np.ndarray) -> np.ndarray:
    differences = np.asarray(differences, dtype=np.float64)
    if differences.ndim != 1 or not len(differences):
        raise ValueError("needs a non-empty 1-d array of per-sample differences")
    if not np.all(np.isfinite(differences)):
        raise ValueError("per-sample differences must be finite")
    return differences


def mean_interval(
    differences: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(mean, low, high): the t interval of the mean of per-sample ``differences`` [samples];
    low and high are NaN for one sample (no spread to estimate)."""
    differences = _differences(differences)
    mean = float(differences.mean())
    if len(differences) < 2:
        return mean, float("nan"), float("nan")
    scale = float(stats.sem(differences))
    if scale == 0:
        return mean, mean, mean
    low, high = stats.t.interval(confidence, len(differences) - 1, loc=mean, scale=scale)
    return mean, float(low), float(high)


def wilcoxon_p(differences: np.ndarray, alternative: str = "two-sided") -> float:
    """p-value of the Wilcoxon signed-rank test that per-sample ``differences`` centre on 0
    (exact for small samples, scipy's default); 1 when every difference is 0."""
    differences = _differences(differences)
    if not np.any(differences):
        return 1.0
    return float(stats.wilcoxon(differences, alternative=alternative).pvalue)


def equivalence_p(differences: np.ndarray, margin: float) -> float:
    """p-value of the two one-sided Wilcoxon tests (TOST) that the per-sample ``differences``
    lie within (-margin, +margin): the larger of the two one-sided p-values. Small p supports
    equivalence."""
    if margin <= 0:
        raise ValueError(f"the equivalence margin must be positive; got {margin}")
    differences = _differences(differences)
    above_lower = wilcoxon_p(differences + margin, alternative="greater")
    below_upper = wilcoxon_p(differences - margin, alternative="less")
    return max(above_lower, below_upper)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values [tests] of ``p_values`` [tests] (NaN stays NaN and is
    not counted as a test)."""
    p_values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full_like(p_values, np.nan)
    tested = ~np.isnan(p_values)
    if tested.any():
        adjusted[tested] = multipletests(p_values[tested], method="holm")[1]
    return adjusted
