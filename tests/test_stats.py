"""DeLong's variance and test, and the across-sample tests, against worked examples, a direct
O(positives x negatives) computation and a stratified bootstrap."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from chromexpr.stats import (
    auc_interval,
    delong_contrast,
    delong_covariance,
    delong_test,
    equivalence_p,
    holm,
    mean_interval,
    wilcoxon_p,
)


def direct_delong(labels, scores):
    """DeLong et al. (1988) as written: psi over every (positive, negative) pair."""
    labels = np.asarray(labels)
    scores = np.atleast_2d(scores)
    components_pos, components_neg, aucs = [], [], []
    for row in scores:
        pos, neg = row[labels == 1], row[labels == 0]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        aucs.append(psi.mean())
        components_pos.append(psi.mean(axis=1))
        components_neg.append(psi.mean(axis=0))
    m, n = (labels == 1).sum(), (labels == 0).sum()
    covariance = np.cov(components_pos) / m + np.cov(components_neg) / n
    return np.array(aucs), np.atleast_2d(covariance)


def correlated_scores(seed, n_genes=400):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_genes)
    signal = labels + rng.normal(0, 1.2, n_genes)
    scores_a = signal + rng.normal(0, 0.5, n_genes)
    scores_b = signal + rng.normal(0, 0.9, n_genes)
    return labels, scores_a, scores_b


def test_delong_variance_of_a_hand_worked_case():
    # Positives 0.8, 0.6, 0.4; negatives 0.5, 0.3. Pairs won: 5 of 6, so AUC 5/6.
    # Components: positives (1, 1, 1/2), variance 1/12; negatives (2/3, 1), variance 1/18.
    # DeLong variance 1/12 / 3 + 1/18 / 2 = 1/18.
    labels = np.array([1, 0, 1, 0, 1])
    scores = np.array([0.8, 0.5, 0.6, 0.3, 0.4])
    aucs, covariance = delong_covariance(labels, scores)
    assert aucs[0] == pytest.approx(5 / 6)
    assert covariance[0, 0] == pytest.approx(1 / 18)


def test_fast_delong_equals_the_direct_computation_with_ties():
    labels, scores_a, scores_b = correlated_scores(3, n_genes=150)
    # Rounding makes ties within and across classes.
    scores = np.vstack([np.round(scores_a, 1), np.round(scores_b, 1)])
    aucs, covariance = delong_covariance(labels, scores)
    expected_aucs, expected_covariance = direct_delong(labels, scores)
    np.testing.assert_allclose(aucs, expected_aucs, rtol=1e-12)
    np.testing.assert_allclose(covariance, expected_covariance, rtol=1e-10)
    assert aucs[0] == pytest.approx(roc_auc_score(labels, scores[0]))


def stratified_bootstrap(labels, rng, n_samples):
    """Gene indices [n_samples, genes] of bootstrap samples drawn within each class: the
    positives of a sample first, then its negatives."""
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    return np.array(
        [
            np.concatenate(
                [rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))]
            )
            for _ in range(n_samples)
        ]
    )


def bootstrap_aucs(labels, scores, genes):
    """The AUC of each bootstrap sample [samples] as the Mann-Whitney statistic (ties count
    half), all samples at once; every sample lists its positives first."""
    n_positive = int(labels.sum())
    n_negative = len(labels) - n_positive
    ranks = stats.rankdata(scores[genes], axis=1)
    positive_ranks = ranks[:, :n_positive].sum(axis=1)
    return (positive_ranks - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def test_auc_interval_matches_a_stratified_bootstrap():
    labels, scores, _ = correlated_scores(5)
    interval = auc_interval(labels, scores)
    rng = np.random.default_rng(0)
    genes = stratified_bootstrap(labels, rng, 2000)
    bootstrap = bootstrap_aucs(labels, scores, genes)
    assert bootstrap[0] == pytest.approx(roc_auc_score(labels[genes[0]], scores[genes[0]]))
    assert interval.se == pytest.approx(np.std(bootstrap), rel=0.1)
    low, high = np.percentile(bootstrap, [2.5, 97.5])
    assert interval.low == pytest.approx(low, abs=0.01)
    assert interval.high == pytest.approx(high, abs=0.01)
    assert interval.low < interval.auc < interval.high


def test_delong_test_se_matches_a_stratified_bootstrap_of_the_difference():
    labels, scores_a, scores_b = correlated_scores(8)
    result = delong_test(labels, scores_a, scores_b)
    rng = np.random.default_rng(1)
    genes = stratified_bootstrap(labels, rng, 2000)
    differences = bootstrap_aucs(labels, scores_a, genes) - bootstrap_aucs(labels, scores_b, genes)
    assert result.difference > 0
    assert result.se == pytest.approx(np.std(differences), rel=0.1)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(result.z)))


def test_delong_contrast_of_a_mean_matches_a_stratified_bootstrap():
    # The transfer claim's per-cell test: the mean AUC of two models minus a third's.
    labels, scores_a, scores_b = correlated_scores(9)
    scores_c = scores_a + np.random.default_rng(3).normal(0, 1.0, len(labels))
    scores = np.vstack([scores_a, scores_b, scores_c])
    result = delong_contrast(labels, scores, np.array([0.5, 0.5, -1.0]))
    rng = np.random.default_rng(1)
    genes = stratified_bootstrap(labels, rng, 2000)
    aucs = [bootstrap_aucs(labels, row, genes) for row in scores]
    contrasts = (aucs[0] + aucs[1]) / 2 - aucs[2]
    expected = (roc_auc_score(labels, scores_a) + roc_auc_score(labels, scores_b)) / 2
    assert result.estimate == pytest.approx(expected - roc_auc_score(labels, scores_c))
    assert result.se == pytest.approx(np.std(contrasts), rel=0.1)


def test_delong_contrast_of_two_models_is_the_paired_test():
    labels, scores_a, scores_b = correlated_scores(4)
    paired = delong_test(labels, scores_a, scores_b)
    contrast = delong_contrast(labels, np.vstack([scores_a, scores_b]), np.array([1.0, -1.0]))
    assert (contrast.estimate, contrast.se, contrast.p_value) == (
        paired.difference,
        paired.se,
        paired.p_value,
    )


def test_delong_test_of_a_model_against_itself_finds_no_difference():
    labels, scores, _ = correlated_scores(2)
    result = delong_test(labels, scores, scores)
    assert (result.difference, result.p_value) == (0.0, 1.0)


def test_delong_refuses_one_class_labels():
    with pytest.raises(ValueError, match="both classes"):
        delong_covariance(np.ones(4), np.arange(4.0))


def test_wilcoxon_of_five_positive_differences_is_exact():
    # All five ranks positive: one of 2^5 sign patterns at each tail.
    assert wilcoxon_p(np.array([0.01, 0.02, 0.03, 0.04, 0.05])) == pytest.approx(2 / 32)


def test_holm_multiplies_the_sorted_p_values_and_keeps_them_monotone():
    adjusted = holm(np.array([0.01, 0.04, 0.03, np.nan]))
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])


def test_equivalence_of_six_zero_differences_within_the_margin():
    # Shifted by the margin every difference has one sign: 1/2^6 for each one-sided test.
    assert equivalence_p(np.zeros(6), margin=0.01) == pytest.approx(1 / 64)
    assert equivalence_p(np.full(6, 0.05), margin=0.01) == pytest.approx(1.0)


def test_mean_interval_is_the_t_interval():
    mean, low, high = mean_interval(np.array([1.0, 2.0, 3.0]))
    # t(0.975, 2 df) = 4.302653; standard error 1 / sqrt(3).
    assert (mean, low, high) == pytest.approx((2, 2 - 2.484138, 2 + 2.484138), abs=1e-5)
    assert np.isnan(mean_interval(np.array([0.5]))[1])
