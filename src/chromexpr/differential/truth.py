"""A differential model scored against the demo's switching genes (``demo.switching`` > 0).

The truth of a pair (``chromexpr.demo.switching.pair_truth``) says which genes switch state
between the two cell types, in which direction, and how much each mark's counts and each bin's
change. On the pair's test genes, ``truth_table`` reports one row per measure, for the trained
model and, as the negative control, the same architecture untrained (built with the same seed,
its weights never fitted; NaN for models fitted outside the gradient loop and for the difference
of single-cell models, which have no untrained state):

====================================  ===========================================================
measure                               what
====================================  ===========================================================
``pearson_switching``                 Pearson r of predicted and observed log2 fold changes over
                                      the switching test genes
``pearson_other``                     the same over the other test genes
``direction_switching``               share of switching test genes whose predicted change has
                                      the truth's sign
``mark_recovery_attention``           per switching test gene, Spearman r between the model's
                                      mark attention and the truth's change per mark
                                      (``SwitchTruth.mark_change``), averaged over genes: 0 is
                                      chance, 1 the truth's ranking of the marks
``bin_recovery_attention``            per mark, Pearson r over bins between the mean bin
                                      attention and the mean truth change per bin over the
                                      switching test genes, averaged over marks
``mark_recovery_attribution``,        the same for integrated gradients (Captum) of the
``bin_recovery_attribution``          predicted change from a zero input, absolute values
                                      summed over both cells (models with input gradients)
====================================  ===========================================================

Attention over a stacked model's ``2 x marks`` inputs is summed per mark over the two cells
(bins averaged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients
from scipy import stats

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.demo.switching import SwitchTruth, pair_truth
from chromexpr.differential.attention import pair_attention
from chromexpr.differential.bundle import DifferentialBundle, load_bundle
from chromexpr.differential.models import PairModel, StackedPair, build_pair_model
from chromexpr.differential.outputs import predicted_fold_changes
from chromexpr.differential.pairs import PairDataset
from chromexpr.differential.registry import attributable, fits_without_gradients
from chromexpr.errors import DatasetMismatchError
from chromexpr.train.runtime import seed_everything

TRUTH_COLUMNS = ("measure", "trained", "untrained", "n_genes")
# Inputs (genes x integration steps) per forward and backward pass of integrated gradients.
ATTRIBUTION_BATCH_SIZE = 64


def untrained_control(bundle: DifferentialBundle) -> PairModel | None:
    """The bundle's architecture with the weights it starts training from (its training seed);
    None where there is no such state (fitted in one go, or not trained for the pair)."""
    settings = bundle.bundle["training"]["settings"]
    if settings is None or fits_without_gradients(bundle.name):
        return None
    seed_everything(settings["seed"])
    model = build_pair_model(
        bundle.name,
        len(bundle.bundle["marks"]),
        len(bundle.bundle["bin_offsets"]),
        **bundle.bundle["hyperparameters"],
    )
    return model.eval()


def _per_mark(values: np.ndarray, model: PairModel) -> np.ndarray:
    """[genes, k, ...] over a stacked model's 2 x marks inputs -> [genes, marks, ...]: the two
    cells' halves summed."""
    if isinstance(model, StackedPair):
        first, second = np.split(values, 2, axis=1)
        return first + second
    return values


def mark_recovery(weights: np.ndarray, change: np.ndarray) -> float:
    """Mean over genes of Spearman r between ``weights`` and ``change`` [genes, marks]; genes
    where either is constant are left out."""
    values = []
    for row_weights, row_change in zip(weights, change, strict=True):
        if np.ptp(row_weights) > 0 and np.ptp(row_change) > 0:
            values.append(stats.spearmanr(row_weights, row_change).statistic)
    return float(np.mean(values)) if values else float("nan")


def bin_recovery(weights: np.ndarray, change: np.ndarray) -> float:
    """Mean over marks of Pearson r over bins between the gene-mean ``weights`` and the
    gene-mean ``change`` ([genes, marks, bins] each); constant marks are left out."""
    mean_weights, mean_change = weights.mean(axis=0), change.mean(axis=0)
    values = [
        np.corrcoef(row_weights, row_change)[0, 1]
        for row_weights, row_change in zip(mean_weights, mean_change, strict=True)
        if np.ptp(row_weights) > 0 and np.ptp(row_change) > 0
    ]
    return float(np.mean(values)) if values else float("nan")


def integrated_gradients(model: PairModel, counts: np.ndarray, steps: int) -> np.ndarray:
    """|integrated gradients| of the predicted change from a zero input, summed over both cells:
    [genes, marks, bins] of pair counts [genes, 2, marks, bins]."""
    method = IntegratedGradients(lambda pairs: model(pairs)[:, 0])
    inputs = torch.as_tensor(counts, dtype=torch.float32)
    # Captum's steps in chunks: all genes x steps through DeepDiff's 20 LSTMs at once would
    # hold gigabytes of activations for the backward pass.
    attributions = method.attribute(
        inputs,
        baselines=torch.zeros_like(inputs),
        n_steps=steps,
        internal_batch_size=ATTRIBUTION_BATCH_SIZE,
    )
    return np.abs(attributions.detach().numpy()).sum(axis=1)


def _measures(
    model: PairModel,
    bundle: DifferentialBundle,
    counts: np.ndarray,
    observed: np.ndarray,
    switching: np.ndarray,
    direction: np.ndarray,
    truth: SwitchTruth,
    steps: int,
) -> dict[str, float]:
    predicted = predicted_fold_changes(model, counts)
    values = {
        "pearson_switching": np.corrcoef(observed[switching], predicted[switching])[0, 1],
        "pearson_other": np.corrcoef(observed[~switching], predicted[~switching])[0, 1],
        "direction_switching": float(np.mean(np.sign(predicted[switching]) == direction)),
    }
    switched_counts = counts[switching]
    if bundle.has_attention:
        attention = pair_attention(
            DifferentialBundle(bundle.path, model, bundle.bundle), switched_counts
        )
        marks = _per_mark(attention["marks"], model)
        bins = _per_mark(attention["bins"], model) / (2 if isinstance(model, StackedPair) else 1)
        values["mark_recovery_attention"] = mark_recovery(marks, truth.mark_change())
        values["bin_recovery_attention"] = bin_recovery(bins, truth.bin_change())
    if attributable(bundle.name):
        attributions = integrated_gradients(model, switched_counts, steps)
        values["mark_recovery_attribution"] = mark_recovery(
            attributions.sum(axis=2), truth.mark_change()
        )
        values["bin_recovery_attribution"] = bin_recovery(attributions, truth.bin_change())
    return values


def truth_table(
    bundle: DifferentialBundle, pair: PairDataset, truth: SwitchTruth, steps: int = 16
) -> pd.DataFrame:
    """The module docstring's table for ``bundle`` on ``pair``'s test genes.
    DatasetMismatchError where the truth is of other cells than the bundle's or no switching
    gene is among the test genes."""
    if list(truth.marks) != list(bundle.bundle["marks"]):
        raise DatasetMismatchError(f"the truth has marks {truth.marks}; {bundle.path} others")
    test = pair.mask("test")
    gene_ids = pair.a.gene_ids[test].astype(str)
    row_of = {gene: row for row, gene in enumerate(truth.gene_ids.astype(str))}
    switching = np.array([gene in row_of for gene in gene_ids])
    if not switching.any() or switching.all():
        raise DatasetMismatchError(
            f"{switching.sum()} of the {len(gene_ids)} test genes of {pair.name} switch: the "
            "truth needs switching and other test genes (demo.switching, demo.n_genes)"
        )
    rows = [row_of[gene] for gene in gene_ids[switching]]
    truth = SwitchTruth(
        truth.gene_ids[rows],
        truth.direction[rows],
        truth.marks,
        truth.expected_a[rows],
        truth.expected_b[rows],
    )
    counts, observed = pair.counts()[test], pair.fold_change()[test]
    arguments = (bundle, counts, observed, switching, truth.direction, truth, steps)
    trained = _measures(bundle.model, *arguments)
    control = untrained_control(bundle)
    untrained = _measures(control, *arguments) if control is not None else {}
    return pd.DataFrame(
        [
            {
                "measure": measure,
                "trained": value,
                "untrained": untrained.get(measure, np.nan),
                "n_genes": int(
                    (~switching).sum() if measure == "pearson_other" else switching.sum()
                ),
            }
            for measure, value in trained.items()
        ],
        columns=list(TRUTH_COLUMNS),
    )


def run_truth(
    bundle_path: Path,
    dataset_a: CellDataset,
    dataset_b: CellDataset,
    demo: Mapping[str, Any],
    reverse_minus_strand: bool,
    steps: int,
    out_tsv: Path,
) -> pd.DataFrame:
    """``truth_table`` of the bundle on the pair of datasets, against the truth of the demo of
    ``demo`` (the config's ``demo``: seed, n_genes, switching), written to ``out_tsv``."""
    bundle = load_bundle(bundle_path)
    pair = bundle.pair(dataset_a, dataset_b)
    truth = pair_truth(
        demo["seed"],
        demo["n_genes"],
        demo["switching"],
        pair.a.cell,
        pair.b.cell,
        [str(mark) for mark in pair.a.marks],
        pair.a.bin_offsets,
        reverse_minus_strand,
    )
    table = truth_table(bundle, pair, truth, steps)
    write_tsv(table, out_tsv, float_format="%.6g")
    return table


def combine_truth_tables(paths: Sequence[Path], out_tsv: Path) -> pd.DataFrame:
    """The truth tables of results/differential/{A}/{B}/{model}/truth.tsv in one, with columns
    cell_a, cell_b and model first."""
    frames = []
    for path in map(Path, paths):
        model_folder = path.parent
        table = pd.read_csv(path, sep="\t")
        table.insert(0, "model", model_folder.name)
        table.insert(0, "cell_b", model_folder.parent.name)
        table.insert(0, "cell_a", model_folder.parent.parent.name)
        frames.append(table)
    combined = pd.concat(frames, ignore_index=True)
    write_tsv(combined, out_tsv, float_format="%.6g")
    return combined
