"""Per-cell normalisation of histone counts, so that a model trained on one cell reads another.

Read depth differs between REMC experiments (and so between cell types and marks), and DeepChrome
reads raw counts: a model trained on a deeply sequenced cell sees every gene of a shallow cell as
"low". The methods (``crosscell.normalisation`` in the config):

============  ===========================================================================
method        counts [genes, marks, bins] become
============  ===========================================================================
``none``      the raw counts, as float32 (DeepChrome's published input)
``cpm``       counts per million: per mark, counts / (the cell's reads of that mark summed over
              every gene's window) x 1e6. Depth scaling only; shapes and ratios stay.
``quantile``  per mark, the empirical CDF of the cell's training genes' bin values, evaluated
              at each value: the fraction of training bin values <= it, in [0, 1]. Removes
              depth and any monotone difference in signal strength between experiments.
============  ===========================================================================

Statistics come only from data a model may see. ``cpm`` sums the cell's counts over all its genes,
test genes included: a total read count involves no label, and it is a property of the
sequencing run, known before any gene is scored. ``quantile`` learns its CDF from the training
genes' counts only (of the cell itself, or of ``reference``), so a test gene's counts never shape
the transform applied to it. The configured ``input_transform`` (``log1p``) applies on top.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError

NORMALISATIONS = ("none", "cpm", "quantile")
COUNTS_PER = 1e6


def normalise(
    dataset: CellDataset, method: str, reference: CellDataset | None = None
) -> CellDataset:
    """A new dataset with the counts of ``dataset`` normalised by ``method`` (float32).

    ``reference`` (``quantile`` only) is the dataset whose training genes define each mark's CDF;
    the dataset itself by default. Everything but the counts is shared with ``dataset``.
    """
    if method not in NORMALISATIONS:
        raise ConfigError(
            "crosscell.normalisation", f"unknown method {method!r}; known: {NORMALISATIONS}"
        )
    if reference is not None and method != "quantile":
        raise ValueError(f"a reference dataset applies to quantile normalisation, not {method!r}")
    if method == "cpm":
        counts = counts_per_million(dataset.counts)
    elif method == "quantile":
        counts = training_quantiles(dataset, reference if reference is not None else dataset)
    else:
        counts = np.asarray(dataset.counts, dtype=np.float32)
    return replace(dataset, counts=counts)


def counts_per_million(counts: np.ndarray) -> np.ndarray:
    """Counts [genes, marks, bins] scaled so that each mark sums to 1e6 over genes and bins.

    A mark without a single read stays all zero (there is no depth to scale by).
    """
    totals = counts.sum(axis=(0, 2), dtype=np.float64)
    scale = np.divide(COUNTS_PER, totals, out=np.zeros_like(totals), where=totals > 0)
    return (counts * scale[None, :, None]).astype(np.float32)


def training_quantiles(dataset: CellDataset, reference: CellDataset) -> np.ndarray:
    """Counts [genes, marks, bins] of ``dataset`` mapped through each mark's empirical CDF.

    The CDF of a mark is that of ``reference``'s training genes' bin values: a value becomes
    the fraction of those values <= it (0 below the smallest, 1 from the largest on). Monotone
    non-decreasing in the value, so the order of the bins of a mark is kept.
    """
    if list(reference.marks) != list(dataset.marks):
        raise ValueError(
            f"reference cell {reference.cell} has marks {list(reference.marks)}, "
            f"cell {dataset.cell} has {list(dataset.marks)}"
        )
    training_counts = reference.features("train")
    if len(training_counts) == 0:
        raise ValueError(f"reference cell {reference.cell} has no training genes to learn a CDF")
    quantiles = np.empty(dataset.counts.shape, dtype=np.float32)
    for mark in range(len(dataset.marks)):
        sorted_values = np.sort(training_counts[:, mark, :], axis=None)
        ranks = np.searchsorted(sorted_values, dataset.counts[:, mark, :], side="right")
        quantiles[:, mark, :] = ranks / len(sorted_values)
    return quantiles
