"""What a bundle saw in training, kept in it to judge what it is later asked to score.

``input_statistics`` records, per mark, the counts the model read in training (after its
normalisation, before its input transform; over the training genes):

- ``bin_mean``: the mean value of a bin;
- ``gene_total_percentiles``: the 1st, 50th and 99th percentiles of the per-gene totals (a
  gene's values summed over its bins).

``sample_statistics`` takes the same figures of a sample (all its genes, normalised as the
bundle normalises), and ``out_of_range`` applies the range rule: a sample's mark lies outside a
bundle's training range when its mean per bin is more than ``RANGE_FACTOR`` (2) times the
training's or less than 1 / ``RANGE_FACTOR`` of it (a mark the training saw only zeros of: any
non-zero mean), or when its median per-gene total lies outside the training's 1st-99th
percentile range. A factor 2 leaves room for the spread of sequencing depth between cells (the
demo draws each cell and mark's depth from 0.6-1.0) and flags a sample on another scale, such
as a bigWig's mean signal scored by a model of read counts.

``seen_genes`` records the genes a bundle trained and validated on (each list sorted, an id
once): the genes whose scores are not held-out scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chromexpr.dataset import CellDataset
from chromexpr.normalisation import normalise

RANGE_FACTOR = 2.0
PERCENTILES = (1, 50, 99)
SEEN_SPLITS = ("train", "valid")


def mark_statistics(
    marks: np.ndarray, counts: np.ndarray
) -> dict[str, dict[str, float | list[float]]]:
    """Per mark of ``counts`` [genes, marks, bins]: ``bin_mean`` and ``gene_total_percentiles``
    (1st, 50th, 99th), as plain floats."""
    totals = counts.sum(axis=2, dtype=np.float64)  # [genes, marks]
    bin_means = counts.mean(axis=(0, 2), dtype=np.float64)
    percentiles = np.percentile(totals, PERCENTILES, axis=0)  # [percentiles, marks]
    return {
        str(mark): {
            "bin_mean": float(bin_means[index]),
            "gene_total_percentiles": [float(value) for value in percentiles[:, index]],
        }
        for index, mark in enumerate(marks)
    }


def input_statistics(dataset: CellDataset) -> dict[str, dict[str, float | list[float]]]:
    """The statistics of ``dataset``'s training genes, as a bundle records them (``dataset``
    is what the model was trained on: normalised where it was)."""
    return mark_statistics(dataset.marks, dataset.features("train"))


def sample_statistics(
    dataset: CellDataset, normalisation: str
) -> dict[str, dict[str, float | list[float]]]:
    """The statistics of every gene of ``dataset``, normalised by ``normalisation``."""
    normalised = normalise(dataset, normalisation)
    return mark_statistics(normalised.marks, normalised.counts)


def out_of_range(
    training: Mapping[str, Mapping[str, Any]], sample: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """The marks of ``sample`` outside the ``training`` range (module docstring), each with
    what breaks the rule, in the sample's mark order."""
    found = {}
    for mark, figures in sample.items():
        trained = training[mark]
        mean, trained_mean = figures["bin_mean"], trained["bin_mean"]
        low, _, high = trained["gene_total_percentiles"]
        median = figures["gene_total_percentiles"][1]
        reasons = []
        if trained_mean > 0:
            ratio = mean / trained_mean
            if not 1 / RANGE_FACTOR <= ratio <= RANGE_FACTOR:
                reasons.append(
                    f"mean per bin {mean:.4g} is {ratio:.3g}x the training's {trained_mean:.4g}"
                )
        elif mean > 0:
            reasons.append(f"mean per bin {mean:.4g}, where the training's was 0")
        if not low <= median <= high:
            reasons.append(
                f"median per-gene total {median:.4g} is outside the training's 1st-99th "
                f"percentiles {low:.4g}-{high:.4g}"
            )
        if reasons:
            found[mark] = "; ".join(reasons)
    return found


def seen_genes(dataset: CellDataset) -> dict[str, list[str]]:
    """The ids of ``dataset``'s training and validation genes, sorted, each once."""
    return {
        split: np.unique(dataset.gene_ids[dataset.mask(split)]).tolist() for split in SEEN_SPLITS
    }
