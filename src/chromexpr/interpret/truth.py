"""Scoring an interpretation against the demo's truth (``chromexpr.demo.truth``).

Any per-class, per-mark profile or map ``[classes (low, high), marks, bins]`` (class
optimisation maps, generated class means, class-averaged attributions) is compared mark by mark
with the truth's expected mean counts: the Pearson correlation of its high-minus-low difference
with the truth's, and whether the sign of its high-minus-low total matches.

A correlation is only asked of marks whose truth has positional structure: the difference varies
along the bins by at least half its largest magnitude. Broad marks (H3K27me3, H3K9me3) and, with
bins in genomic order on both strands, H3K36me3 (whose gene body lies on either side of the TSS)
have a nearly flat difference; their correlation measures noise, and only the sign is asked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.demo.truth import expected_class_profiles
from chromexpr.interpret.outputs import FLOAT_FORMAT

POSITIONAL_RANGE = 0.5
TRUTH_COLUMNS = (
    "mark",
    "positional",
    "correlation",
    "sign",
    "truth_sign",
    "sign_agrees",
    "correlation_low",
    "correlation_high",
)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two vectors; NaN when either is constant."""
    a = np.asarray(a, dtype=np.float64) - np.mean(a)
    b = np.asarray(b, dtype=np.float64) - np.mean(b)
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denominator) if denominator > 0 else float("nan")


def is_positional(difference: np.ndarray) -> bool:
    """Whether a truth difference [bins] varies along the bins (see the module docstring)."""
    largest = float(np.max(np.abs(difference)))
    return largest > 0 and float(np.ptp(difference)) >= POSITIONAL_RANGE * largest


def score_against_truth(
    profiles: np.ndarray, truth: np.ndarray, marks: Sequence[str]
) -> pd.DataFrame:
    """One row per mark, columns ``TRUTH_COLUMNS``.

    ``profiles``, ``truth``: [classes (low, high), marks, bins]. ``correlation`` is that of the
    high-minus-low differences; ``sign`` / ``truth_sign`` (-1, 0, 1) those of their totals;
    ``correlation_low`` / ``_high`` compare each class's profile with the truth's.
    """
    profiles = np.asarray(profiles, dtype=np.float64)
    if profiles.shape != truth.shape or profiles.shape[:2] != (2, len(marks)):
        raise ValueError(
            f"profiles {profiles.shape} and truth {truth.shape} must both be "
            f"[2 classes, {len(marks)} marks, bins]"
        )
    difference = profiles[1] - profiles[0]
    truth_difference = truth[1] - truth[0]
    rows = []
    for index, mark in enumerate(marks):
        sign = int(np.sign(difference[index].sum()))
        truth_sign = int(np.sign(truth_difference[index].sum()))
        rows.append(
            {
                "mark": str(mark),
                "positional": is_positional(truth_difference[index]),
                "correlation": pearson(difference[index], truth_difference[index]),
                "sign": sign,
                "truth_sign": truth_sign,
                "sign_agrees": sign == truth_sign,
                "correlation_low": pearson(profiles[0, index], truth[0, index]),
                "correlation_high": pearson(profiles[1, index], truth[1, index]),
            }
        )
    return pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))


def dataset_truth(
    dataset: CellDataset, reverse_minus_strand: bool, seed: int, n_genes: int | None
) -> np.ndarray:
    """The truth [classes, marks, bins] of a demo dataset, in its bin layout and orientation
    (``reverse_minus_strand`` as the dataset was binned; ``seed``, ``n_genes`` as ``demo.*``)."""
    return expected_class_profiles(
        [str(mark) for mark in dataset.marks],
        dataset.bin_offsets,
        reverse_minus_strand,
        dataset.cell,
        seed,
        n_genes,
    )


def write_truth_scores(
    path: str | os.PathLike[str],
    profiles: np.ndarray,
    dataset: CellDataset,
    reverse_minus_strand: bool,
    seed: int,
    n_genes: int | None,
) -> pd.DataFrame:
    """Score ``profiles`` [classes, marks, bins] of a demo dataset against its truth; TSV."""
    truth = dataset_truth(dataset, reverse_minus_strand, seed, n_genes)
    table = score_against_truth(profiles, truth, [str(mark) for mark in dataset.marks])
    table.insert(0, "cell", dataset.cell)
    write_tsv(table, path, float_format=FLOAT_FORMAT)
    return table
