"""The marks and bins that drive a predicted change: attention of a differential model.

For DeepDiff the difference branch's attention (``chromexpr.models.deepdiff``: each mark's
weight, its five inputs summed, and its bin weights), for a stacked zoo model with attention
(``stacked_attentivechrome``) its own over the ``2 x marks`` stacked marks, labelled
``{cell} {mark}``. Averaged over the test genes of each predicted class (down, unchanged, up by
the bundle's threshold):

- ``attention_marks.tsv``: ``predicted_change, mark, attention, n_genes``;
- ``attention_bins.tsv``: ``predicted_change, mark, bin, offset, attention``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from chromexpr.atomic import write_tsv
from chromexpr.differential.bundle import DifferentialBundle
from chromexpr.differential.models import StackedPair
from chromexpr.differential.outputs import predicted_fold_changes
from chromexpr.differential.pairs import CLASS_NAMES, CLASS_OF, PairDataset, change_classes
from chromexpr.differential.plots import plot_change_attention
from chromexpr.errors import ConfigError

logger = logging.getLogger(__name__)

BATCH_SIZE = 256


def attention_labels(bundle: DifferentialBundle) -> list[str]:
    """A label per attended mark: the marks, or ``{cell} {mark}`` of a stacked model."""
    if isinstance(bundle.model, StackedPair):
        return [f"{cell} {mark}" for cell in bundle.cells for mark in bundle.bundle["marks"]]
    return list(bundle.bundle["marks"])


def pair_attention(bundle: DifferentialBundle, counts: np.ndarray) -> dict[str, np.ndarray]:
    """``bins`` [genes, marks, bins] and ``marks`` [genes, marks] of the model's attention for
    pair counts [genes, 2, marks, bins]. ConfigError for a model without attention."""
    if not bundle.has_attention:
        raise ConfigError("differential.models", f"{bundle.name} has no attention to summarise")
    inputs = torch.as_tensor(counts, dtype=torch.float32)
    chunks = []
    with torch.no_grad():
        for start in range(0, len(inputs), BATCH_SIZE):
            chunks.append(bundle.model.attention(inputs[start : start + BATCH_SIZE]))
    return {key: torch.cat([chunk[key] for chunk in chunks]).numpy() for key in ("bins", "marks")}


def summarise_change_attention(
    attention: dict[str, np.ndarray], labels: list[str], changes: np.ndarray, offsets: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bin table, mark table) of the mean attention over the genes of each predicted class
    (``changes`` [genes]: -1, 0, 1); a class no gene is predicted in is left out."""
    bin_rows, mark_rows = [], []
    for value, name in zip((-1, 0, 1), CLASS_NAMES, strict=True):
        chosen = changes == value
        if not chosen.any():
            continue
        bin_means = attention["bins"][chosen].mean(axis=0)
        mark_means = attention["marks"][chosen].mean(axis=0)
        for index, label in enumerate(labels):
            mark_rows.append(
                {
                    "predicted_change": name,
                    "mark": label,
                    "attention": float(mark_means[index]),
                    "n_genes": int(chosen.sum()),
                }
            )
            bin_rows += [
                {
                    "predicted_change": name,
                    "mark": label,
                    "bin": column,
                    "offset": int(offsets[column]),
                    "attention": float(bin_means[index, column]),
                }
                for column in range(bin_means.shape[1])
            ]
    return pd.DataFrame(bin_rows), pd.DataFrame(mark_rows)


def run_change_attention(
    bundle: DifferentialBundle,
    pair: PairDataset,
    out_bins: Path,
    out_marks: Path,
    out_png: Path,
    simulated: bool = False,
) -> None:
    """Summarise the attention of ``bundle`` over ``pair``'s test genes by predicted change and
    draw it."""
    counts = pair.counts()[pair.mask("test")]
    attention = pair_attention(bundle, counts)
    predicted = predicted_fold_changes(bundle.model, counts)
    changes = change_classes(predicted, pair.threshold)
    logger.info(
        "%s on %s: %s test genes predicted",
        bundle.name,
        pair.name,
        ", ".join(f"{int((changes == value).sum())} {CLASS_OF[value]}" for value in (-1, 0, 1)),
    )
    bin_table, mark_table = summarise_change_attention(
        attention, attention_labels(bundle), changes, pair.a.bin_offsets
    )
    write_tsv(bin_table, out_bins, float_format="%.6g")
    write_tsv(mark_table, out_marks, float_format="%.6g")
    plot_change_attention(
        bin_table,
        mark_table,
        pair.a.bin_offsets,
        f"{bundle.name}: attention of test genes predicted to change, {pair.b.cell} over "
        f"{pair.a.cell}",
        out_png,
        simulated,
    )
