"""Measures of generated against real genes (``gan_metrics``), per class against the real test
genes of that class: Pearson correlation of mean count profiles per mark (meaningful only for
marks whose real profile is not flat, see ``flat_profile``), the ratio of generated to real mean
total counts per mark, the share of generated samples that the cell's classifier assigns to the
class (next to the share of real test genes it assigns), and the mean pairwise Euclidean distance
between samples in log1p space, generated over real (mode collapse shows as a small ratio)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from chromexpr.interpret.gan.networks import CLASS_NAMES

# A mark's real mean profile is flat when its variance over bins is at most this many times the
# variance its sampling noise alone gives (see flat_profile).
FLAT_NOISE_FACTOR = 2.0


def flat_profile(counts: np.ndarray) -> bool:
    """Whether the mean profile of counts [genes, bins] is flat: its variance over bins is at
    most ``FLAT_NOISE_FACTOR`` times the mean squared standard error of its bins (for a profile
    that is flat plus sampling noise the ratio is about 1)."""
    profile = counts.mean(axis=0)
    squared_errors = counts.var(axis=0, ddof=1) / len(counts)
    return bool(profile.var() <= FLAT_NOISE_FACTOR * squared_errors.mean())


def mean_pairwise_distance(counts: np.ndarray) -> float:
    """Mean Euclidean distance between the log1p count matrices [samples, marks, bins] of
    every pair of samples."""
    flat = torch.as_tensor(np.log1p(counts.reshape(len(counts), -1)), dtype=torch.float64)
    return float(torch.pdist(flat).mean())


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def gan_metrics(
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    generated_agreement: Mapping[int, float],
    real_agreement: Mapping[int, float],
    marks: Sequence[str],
) -> pd.DataFrame:
    """One row per class and mark: ``class, mark, real_flat, profile_correlation,
    real_mean_total, generated_mean_total, total_ratio, classifier_agreement,
    real_classifier_agreement, diversity_ratio, n_real, n_generated``.

    ``real`` and ``generated`` map a class to counts [genes or samples, marks, bins]; the
    agreements map it to the share of its generated samples, or real genes, that the classifier
    puts in that class. ``diversity_ratio`` (per class) is the mean pairwise distance of
    generated samples over that of real genes.
    """
    rows = []
    for target_class, name in enumerate(CLASS_NAMES):
        real_counts, fake_counts = real[target_class], generated[target_class]
        diversity = mean_pairwise_distance(fake_counts) / mean_pairwise_distance(real_counts)
        for index, mark in enumerate(marks):
            real_total = float(real_counts[:, index].sum(axis=1).mean())
            fake_total = float(fake_counts[:, index].sum(axis=1).mean())
            rows.append(
                {
                    "class": name,
                    "mark": mark,
                    "real_flat": flat_profile(real_counts[:, index]),
                    "profile_correlation": _correlation(
                        real_counts[:, index].mean(axis=0), fake_counts[:, index].mean(axis=0)
                    ),
                    "real_mean_total": real_total,
                    "generated_mean_total": fake_total,
                    "total_ratio": fake_total / real_total if real_total > 0 else float("nan"),
                    "classifier_agreement": generated_agreement[target_class],
                    "real_classifier_agreement": real_agreement[target_class],
                    "diversity_ratio": diversity,
                    "n_real": len(real_counts),
                    "n_generated": len(fake_counts),
                }
            )
    return pd.DataFrame(rows)


def summarise_metrics(metrics: pd.DataFrame) -> dict[str, float]:
    """The worst case over classes and marks of each measure of a ``gan_metrics`` table: lowest
    classifier agreement (generated and real), lowest profile correlation of the marks whose
    real profile is not flat, largest |total ratio - 1|, lowest diversity ratio."""
    shaped = metrics[~metrics["real_flat"].astype(bool)]
    return {
        "classifier_agreement": float(metrics["classifier_agreement"].min()),
        "real_classifier_agreement": float(metrics["real_classifier_agreement"].min()),
        "profile_correlation": float(shaped["profile_correlation"].min())
        if len(shaped)
        else float("nan"),
        "total_error": float((metrics["total_ratio"] - 1).abs().max()),
        "diversity_ratio": float(metrics["diversity_ratio"].min()),
    }
