"""Cross-cell experiments: does the histone code learned in one cell type predict another's?

After DeepChrome 2.0 (Kadavath, Paradis, Yeung; arXiv 2209.11923), which trains on one cell type
and tests on another, and trains on all or all-but-one cell types. Every experiment scores the
test genes of a cell, and yields rows of the long transfer table (``TRANSFER_COLUMNS``):

=================  ==================  =======================================================
experiment         ``train_set``       what is trained, what is scored
=================  ==================  =======================================================
``pairwise``       the train cell      no training: each per-cell model scores every cell's
                                       test genes; the diagonal is the model's within-cell AUC
``leave_one_out``  ``all-but-{cell}``  one model on the pooled training genes of every cell
                                       but one, scored on the held-out cell's test genes
``pooled``         ``all``             one model on every cell's training genes, scored on
                                       each cell's test genes
=================  ==================  =======================================================

Every cell shares the gene split (``splits.py``), so no model is tested on a gene it was trained
or selected on, in any cell; ``check_no_test_leakage`` verifies it before each scoring or training.
Counts are normalised per cell (``normalisation.py``) before the configured input transform, in
training and in scoring alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from chromexpr.atomic import atomic_path
from chromexpr.dataset import CellDataset
from chromexpr.errors import ChromexprError, InputFormatError
from chromexpr.evaluation import auc, predict_probabilities
from chromexpr.models import model_class
from chromexpr.normalisation import normalise
from chromexpr.plots import new_figure, save_figure
from chromexpr.training import (
    EVALUATION_BATCH_SIZE,
    TrainingSettings,
    build_task_model,
    deterministic_algorithms,
    model_inputs,
    print_flush,
    resolve_device,
    train_cell,
)

PAIRWISE, LEAVE_ONE_OUT, POOLED = "pairwise", "leave_one_out", "pooled"
POOLED_SET = "all"
TRANSFER_COLUMNS = (
    "experiment",
    "train_set",
    "test_cell",
    "model",
    "normalisation",
    "auc",
    "n_test",
)
# A transfer table row is identified by these; a second row with the same key is an error.
TRANSFER_KEY = ["experiment", "train_set", "test_cell", "model", "normalisation"]
# Matrices up to this size get their AUCs written in the heatmap's cells.
ANNOTATED_CELLS = 12


class LeakageError(ChromexprError):
    """A gene a model was trained or selected on is among the test genes it is scored on."""


class DatasetMismatchError(ChromexprError):
    """Datasets that must line up (genes, split, marks, bins) do not; names both cells."""


def leave_one_out_set(held_out: str) -> str:
    """The ``train_set`` name of the model trained on every cell but ``held_out``."""
    return f"all-but-{held_out}"


# --- checks -----------------------------------------------------------------------------------


def check_no_test_leakage(train_sets: Sequence[CellDataset], test_set: CellDataset) -> None:
    """LeakageError if a gene id of a training or validation split of ``train_sets`` is in the
    test split of ``test_set``; DatasetMismatchError unless all of them have the same genes in
    the same order, the same split, marks and bins.

    Validation genes count as seen: they choose the model's epoch. Leakage is checked first, so
    that a gene moved into another split is reported as what it is.
    """
    _check_disjoint(train_sets, test_set)
    for train_set in train_sets:
        check_same_layout(train_set, test_set)


def _check_experiment(train_sets: Sequence[CellDataset], test_sets: Sequence[CellDataset]) -> None:
    """``check_no_test_leakage`` for every test set; any leakage is reported before a mismatch."""
    for test_set in test_sets:
        _check_disjoint(train_sets, test_set)
    for test_set in test_sets:
        check_no_test_leakage(train_sets, test_set)


def _check_disjoint(train_sets: Sequence[CellDataset], test_set: CellDataset) -> None:
    test_genes = test_set.gene_ids[test_set.mask("test")]
    # Datasets laid out like the test set see the same genes: one comparison serves them all.
    checked_same_layout = False
    for train_set in train_sets:
        same_layout = _same_genes_and_split(train_set, test_set)
        if not (same_layout and checked_same_layout):
            seen = train_set.gene_ids[~train_set.mask("test")]
            leaked = np.intersect1d(seen, test_genes)
            if len(leaked):
                raise LeakageError(
                    f"{len(leaked)} test gene(s) of cell {test_set.cell} are training or "
                    f"validation genes of cell {train_set.cell} (first: {leaked[0]}); a model "
                    "would be scored on genes it was trained on"
                )
        checked_same_layout = checked_same_layout or same_layout


def check_same_layout(first: CellDataset, second: CellDataset) -> None:
    """DatasetMismatchError unless both datasets list the same genes in the same order, with the
    same split, marks and bins."""
    check_same_features(first, second)
    if not _same_genes_and_split(first, second):
        if len(first.gene_ids) != len(second.gene_ids):
            what = f"{len(first.gene_ids)} and {len(second.gene_ids)} genes"
        else:
            differs = (first.gene_ids != second.gene_ids) | (first.split != second.split)
            row = int(np.flatnonzero(differs)[0])
            what = (
                f"row {row} is gene {first.gene_ids[row]} ({first.split[row]}) in one, "
                f"{second.gene_ids[row]} ({second.split[row]}) in the other"
            )
        raise DatasetMismatchError(
            f"cells {first.cell} and {second.cell} differ in genes or split: {what}; cross-cell "
            "experiments need datasets built from the same gene table and split"
        )


def check_same_features(first: CellDataset, second: CellDataset) -> None:
    """DatasetMismatchError unless both datasets have the same marks, in order, and bins: a model
    reads marks by position."""
    for name in ("marks", "bin_offsets"):
        ours, theirs = getattr(first, name), getattr(second, name)
        if not np.array_equal(ours, theirs):
            raise DatasetMismatchError(
                f"cells {first.cell} and {second.cell} differ in {name}: "
                f"{_preview(ours)} vs {_preview(theirs)}"
            )


def _same_genes_and_split(first: CellDataset, second: CellDataset) -> bool:
    return np.array_equal(first.gene_ids, second.gene_ids) and np.array_equal(
        first.split, second.split
    )


def _preview(values: np.ndarray) -> str:
    shown = values.tolist()
    return str(shown) if len(shown) <= 6 else f"{shown[:6]}... ({len(shown)} values)"


def _check_model(model_name: str, settings: TrainingSettings) -> None:
    if settings.model != model_name:
        raise ValueError(f"settings are for model {settings.model!r}, not {model_name!r}")


# --- pooling and training ---------------------------------------------------------------------


def check_per_gene_model(model_name: str) -> None:
    """ValueError for models that read neighbouring genes: a pool holds each gene once per cell,
    so a gene's nearest "neighbour" would be itself in another cell."""
    if getattr(model_class(model_name), "reads_neighbours", False):
        raise ValueError(
            f"{model_name} reads neighbouring genes, which a pool of cells does not define; "
            "use it in pairwise transfer only (crosscell.models)"
        )


def pool_datasets(datasets: Sequence[CellDataset], name: str) -> CellDataset:
    """One dataset named ``name`` holding every gene of every dataset, cell after cell.

    Each gene keeps its id and split, so a gene id appears once per cell, and ``train_cell``
    trains on all training genes, selects on all validation genes and reports the AUC over all
    test genes. The datasets must share marks and bins.
    """
    if not datasets:
        raise ValueError("pool_datasets needs at least one dataset")
    for dataset in datasets[1:]:
        check_same_features(datasets[0], dataset)
    per_gene = {
        field.name: np.concatenate([getattr(dataset, field.name) for dataset in datasets])
        for field in fields(CellDataset)
        if field.name not in ("cell", "marks", "bin_offsets")
    }
    return CellDataset(
        cell=name, marks=datasets[0].marks, bin_offsets=datasets[0].bin_offsets, **per_gene
    )


def train_normalised_cell(
    dataset: CellDataset,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
    log: Callable[[str], None] = print_flush,
) -> dict[str, Any]:
    """``train_cell`` on the counts normalised by ``normalisation``: the per-cell models that
    ``pairwise_transfer`` scores with that normalisation.

    Writes the files ``train_cell`` writes; ``metrics.json`` also records ``normalisation``.
    """
    check_no_test_leakage([dataset], dataset)
    return _train_and_record(
        normalise(dataset, normalisation), settings, normalisation, out_dir, log
    )


def _train_and_record(
    normalised: CellDataset,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    metrics = train_cell(normalised, settings, out_dir, log=log)
    metrics["normalisation"] = normalisation
    _write_json(Path(out_dir) / "metrics.json", metrics)
    return metrics


def _pooled_normalised(
    datasets: Sequence[CellDataset], normalisation: str, name: str
) -> CellDataset:
    # Each cell is normalised on its own (depth is per experiment), then pooled.
    return pool_datasets([normalise(dataset, normalisation) for dataset in datasets], name)


# --- scoring ----------------------------------------------------------------------------------


def load_model(
    model_name: str,
    checkpoint: Path,
    n_marks: int,
    n_bins: int,
    settings: TrainingSettings,
    device: torch.device,
) -> nn.Module:
    """The model of ``checkpoint`` (a ``train_cell`` state_dict) on ``device``, in eval mode."""
    model = build_task_model(settings, n_marks, n_bins)
    try:
        model.load_state_dict(torch.load(checkpoint, map_location=device, weights_only=True))
    except (RuntimeError, OSError) as error:
        raise InputFormatError(
            checkpoint,
            f"not a {model_name} checkpoint for {n_marks} marks x {n_bins} bins: {error}",
        ) from error
    return model.to(device).eval()


def scoring_inputs(
    model: nn.Module,
    dataset: CellDataset,
    settings: TrainingSettings,
    normalisation: str,
    device: torch.device,
) -> tuple[torch.Tensor, np.ndarray]:
    """(``model``'s input for the test genes on ``device``, labels [test genes]) of ``dataset``:
    normalised, then transformed (and neighbours gathered) as in training."""
    inputs = model_inputs(
        model, normalise(dataset, normalisation), settings.input_transform, "test"
    )
    features = torch.as_tensor(inputs, device=device)
    return features, dataset.labels[dataset.mask("test")].astype(np.int64)


def _score(
    model: nn.Module,
    inputs: tuple[torch.Tensor, np.ndarray],
    device: torch.device,
    /,
    **row: str,
) -> dict[str, Any]:
    """One transfer-table row: the AUC of ``model`` on one cell's test genes, one batched pass."""
    features, labels = inputs
    probabilities = predict_probabilities(model, features, device, EVALUATION_BATCH_SIZE)
    return {**row, "auc": auc(labels, probabilities), "n_test": len(labels)}


def pairwise_transfer(
    model_name: str,
    checkpoints: Mapping[str, Path],
    datasets: Mapping[str, CellDataset],
    settings: TrainingSettings,
    normalisation: str,
    log: Callable[[str], None] = print_flush,
) -> pd.DataFrame:
    """Every per-cell model (``checkpoints``: train cell -> model.pt) scored on the test genes of
    every cell of ``datasets``: the long table, one ``pairwise`` row per (train cell, test cell).

    No retraining. The checkpoints must come from ``train_cell`` (``normalisation`` none) or
    ``train_normalised_cell`` with the same ``normalisation`` and ``settings``, else the AUCs
    are of inputs the models never saw. Every model is loaded once and kept (a few MB each);
    the test cells are taken one at a time, normalised once and scored by every model in one
    batched pass each, so memory holds one cell's test inputs beside the models.
    """
    _check_model(model_name, settings)
    if not checkpoints:
        raise ValueError("pairwise_transfer needs at least one checkpoint")
    missing = sorted(set(checkpoints) - set(datasets))
    if missing:
        raise ValueError(f"checkpoints of cells without a dataset: {missing}")
    train_cells, test_cells = sorted(checkpoints), sorted(datasets)
    train_sets = [datasets[cell] for cell in train_cells]
    _check_experiment(train_sets, [datasets[cell] for cell in test_cells])

    device = resolve_device(settings.device)
    _, n_marks, n_bins = datasets[test_cells[0]].counts.shape
    models = {
        cell: load_model(model_name, checkpoints[cell], n_marks, n_bins, settings, device)
        for cell in train_cells
    }
    log(
        f"{model_name}, normalisation {normalisation}: {len(models)} models x "
        f"{len(test_cells)} test cells on {device}"
    )
    rows = []
    with deterministic_algorithms(device):
        for test_cell in test_cells:
            inputs = scoring_inputs(
                models[train_cells[0]], datasets[test_cell], settings, normalisation, device
            )
            rows += [
                _score(
                    models[train_cell],
                    inputs,
                    device,
                    experiment=PAIRWISE,
                    train_set=train_cell,
                    test_cell=test_cell,
                    model=model_name,
                    normalisation=normalisation,
                )
                for train_cell in train_cells
            ]
            log(f"test cell {test_cell}: {len(inputs[1])} genes scored by {len(models)} models")
    return transfer_table(rows)


def leave_one_out(
    model_name: str,
    datasets: Mapping[str, CellDataset],
    held_out: str,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
    log: Callable[[str], None] = print_flush,
) -> dict[str, Any]:
    """Train on the pooled genes of every cell but ``held_out`` (training genes to train, their
    validation genes to select the epoch); score on ``held_out``'s test genes.

    Writes the files ``train_cell`` writes (its test AUC is over the training cells' test genes)
    and ``transfer.json``: the ``leave_one_out`` row of the transfer table, plus the training
    cells and their number of training and validation genes. Returns that dict.
    """
    _check_model(model_name, settings)
    check_per_gene_model(model_name)
    if held_out not in datasets:
        raise ValueError(f"held-out cell {held_out} has no dataset; cells: {sorted(datasets)}")
    training_cells = sorted(cell for cell in datasets if cell != held_out)
    if not training_cells:
        raise ValueError(f"leave-one-out needs a cell besides {held_out} to train on")
    test_set = datasets[held_out]
    check_no_test_leakage([datasets[cell] for cell in training_cells], test_set)

    train_set = leave_one_out_set(held_out)
    metrics = _train_and_record(
        _pooled_normalised([datasets[cell] for cell in training_cells], normalisation, train_set),
        settings,
        normalisation,
        out_dir,
        log,
    )
    device = resolve_device(settings.device)
    _, n_marks, n_bins = test_set.counts.shape
    model = load_model(model_name, Path(out_dir) / "model.pt", n_marks, n_bins, settings, device)
    with deterministic_algorithms(device):
        row = _score(
            model,
            scoring_inputs(model, test_set, settings, normalisation, device),
            device,
            experiment=LEAVE_ONE_OUT,
            train_set=train_set,
            test_cell=held_out,
            model=model_name,
            normalisation=normalisation,
        )
    transfer = {
        **row,
        "training_cells": training_cells,
        "n_train": metrics["n_train"],
        "n_valid": metrics["n_valid"],
    }
    log(f"{model_name} trained without {held_out}: AUC on its test genes {row['auc']:.4f}")
    _write_json(Path(out_dir) / "transfer.json", transfer)
    return transfer


def pooled(
    model_name: str,
    datasets: Mapping[str, CellDataset],
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
    log: Callable[[str], None] = print_flush,
) -> pd.DataFrame:
    """Train on the pooled genes of every cell; score on each cell's test genes.

    Writes the files ``train_cell`` writes and ``transfer.tsv``: the ``pooled`` rows of the
    transfer table, one per cell, also returned. Memory: up to about 4 x the datasets' counts
    (the datasets, their normalised copies, the pool, ``train_cell``'s float32 inputs): about
    9 GB for 56 cells of 19,802 genes; ``leave_one_out`` needs the same.
    """
    _check_model(model_name, settings)
    check_per_gene_model(model_name)
    cells = sorted(datasets)
    if not cells:
        raise ValueError("pooled needs at least one dataset")
    all_sets = [datasets[cell] for cell in cells]
    _check_experiment(all_sets, all_sets)

    _train_and_record(
        _pooled_normalised(all_sets, normalisation, POOLED_SET),
        settings,
        normalisation,
        out_dir,
        log,
    )
    device = resolve_device(settings.device)
    _, n_marks, n_bins = all_sets[0].counts.shape
    model = load_model(model_name, Path(out_dir) / "model.pt", n_marks, n_bins, settings, device)
    with deterministic_algorithms(device):
        rows = [
            _score(
                model,
                scoring_inputs(model, datasets[cell], settings, normalisation, device),
                device,
                experiment=POOLED,
                train_set=POOLED_SET,
                test_cell=cell,
                model=model_name,
                normalisation=normalisation,
            )
            for cell in cells
        ]
    table = transfer_table(rows)
    write_transfer_table(table, Path(out_dir) / "transfer.tsv")
    return table


# --- tables -----------------------------------------------------------------------------------


def transfer_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The long transfer table of ``rows``: columns ``TRANSFER_COLUMNS``, sorted by its key."""
    table = pd.DataFrame(
        [[row[column] for column in TRANSFER_COLUMNS] for row in rows],
        columns=list(TRANSFER_COLUMNS),
    )
    return table.sort_values(TRANSFER_KEY, ignore_index=True)


def write_transfer_table(table: pd.DataFrame, path: Path) -> None:
    """Write a transfer table as TSV, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)


def read_transfer_results(paths: Sequence[Path]) -> pd.DataFrame:
    """One long table of the ``.tsv`` tables (pairwise, pooled) and ``transfer.json`` rows
    (leave-one-out) at ``paths``; InputFormatError on a missing column or a repeated row."""
    rows: list[dict[str, Any]] = []
    origin: dict[tuple[Any, ...], Path] = {}
    for path in map(Path, paths):
        try:
            if path.suffix == ".json":
                records = [json.loads(path.read_text())]
            else:
                records = pd.read_csv(
                    path, sep="\t", dtype={"train_set": str, "test_cell": str}
                ).to_dict("records")
        except (OSError, ValueError) as error:
            raise InputFormatError(path, f"cannot read transfer results: {error}") from error
        for record in records:
            missing = [column for column in TRANSFER_COLUMNS if column not in record]
            if missing:
                raise InputFormatError(path, f"transfer results without {missing}")
            key = tuple(record[column] for column in TRANSFER_KEY)
            if key in origin:
                raise InputFormatError(path, f"row {key} also in {origin[key]}")
            origin[key] = path
            rows.append(record)
    return transfer_table(rows)


def transfer_matrix(long: pd.DataFrame, model: str, normalisation: str) -> pd.DataFrame:
    """Pairwise AUC [train cells, test cells] of ``model`` under ``normalisation``, both sorted."""
    selected = long[
        (long["experiment"] == PAIRWISE)
        & (long["model"] == model)
        & (long["normalisation"] == normalisation)
    ]
    if selected.empty:
        raise ValueError(f"no pairwise results for model {model}, normalisation {normalisation}")
    matrix = selected.pivot(index="train_set", columns="test_cell", values="auc")
    matrix = matrix.sort_index().sort_index(axis=1)
    matrix.index.name, matrix.columns.name = "train_cell", "test_cell"
    return matrix


def summarise_transfer(long: pd.DataFrame) -> pd.DataFrame:
    """Per model and normalisation, one row per test cell and a last row ``mean`` (over cells):

    - ``within_cell_auc``: the cell's own model on its test genes (the pairwise diagonal);
    - ``transfer_auc_as_test``: mean AUC of the other cells' models on this cell's test genes;
    - ``transfer_auc_as_train``: mean AUC of this cell's model on the other cells' test genes;
    - ``leave_one_out_auc``, ``pooled_auc``: the models trained without this cell / on all cells;
    - ``leave_one_out_minus_within``: what training on other cells costs (negative) or buys.

    An experiment not run leaves its column empty.
    """
    summaries = []
    for (model, normalisation), group in long.groupby(["model", "normalisation"], sort=True):
        pairs = group[group["experiment"] == PAIRWISE]
        within = pairs["train_set"] == pairs["test_cell"]
        per_cell = pd.DataFrame(
            {
                "within_cell_auc": pairs[within].set_index("test_cell")["auc"],
                "transfer_auc_as_test": pairs[~within].groupby("test_cell")["auc"].mean(),
                "transfer_auc_as_train": pairs[~within].groupby("train_set")["auc"].mean(),
                "leave_one_out_auc": _auc_by_test_cell(group, LEAVE_ONE_OUT),
                "pooled_auc": _auc_by_test_cell(group, POOLED),
            },
            index=sorted(set(group["test_cell"]) | set(pairs["train_set"])),
        )
        per_cell["leave_one_out_minus_within"] = (
            per_cell["leave_one_out_auc"] - per_cell["within_cell_auc"]
        )
        per_cell.loc["mean"] = per_cell.mean()
        per_cell.insert(0, "normalisation", normalisation)
        per_cell.insert(0, "model", model)
        summaries.append(per_cell.rename_axis("cell").reset_index())
    columns = [
        "model",
        "normalisation",
        "cell",
        "within_cell_auc",
        "transfer_auc_as_test",
        "transfer_auc_as_train",
        "leave_one_out_auc",
        "pooled_auc",
        "leave_one_out_minus_within",
    ]
    if not summaries:
        return pd.DataFrame(columns=columns)
    return pd.concat(summaries, ignore_index=True)[columns]


def _auc_by_test_cell(group: pd.DataFrame, experiment: str) -> pd.Series:
    return group[group["experiment"] == experiment].set_index("test_cell")["auc"]


# --- heatmap ----------------------------------------------------------------------------------


def cluster_order(matrix: pd.DataFrame) -> list[str]:
    """The cells of a square AUC matrix [train cells, test cells] in the leaf order of an
    average-linkage (UPGMA) clustering, so that cells that transfer well to each other sit
    together.

    Distance between cells a and b: 1 - (AUC(a -> b) + AUC(b -> a)) / 2. At each step the two
    closest clusters merge (ties: the first pair in the current order), the earlier one's leaves
    first; deterministic for the same matrix.
    """
    cells = list(matrix.index)
    if set(cells) != set(matrix.columns) or len(set(cells)) != len(cells):
        raise ValueError("cluster_order needs a square matrix with the same cells on both axes")
    values = matrix.loc[cells, cells].to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError("cluster_order needs a complete matrix; some AUCs are missing")
    distance = 1 - (values + values.T) / 2
    np.fill_diagonal(distance, np.inf)
    members = [[index] for index in range(len(cells))]
    active = list(range(len(cells)))
    while len(active) > 1:
        nearest = np.argmin(distance[np.ix_(active, active)])
        first, second = sorted(divmod(int(nearest), len(active)))
        a, b = active[first], active[second]
        # Lance-Williams update: the average distance of the merged cluster to every other.
        merged = (len(members[a]) * distance[a] + len(members[b]) * distance[b]) / (
            len(members[a]) + len(members[b])
        )
        distance[a, :], distance[:, a] = merged, merged
        distance[a, a] = np.inf
        members[a] += members[b]
        active.remove(b)
    return [cells[index] for index in members[active[0]]]


def plot_transfer_heatmap(matrix: pd.DataFrame, out_png: Path, out_svg: Path, title: str) -> None:
    """Heatmap of a pairwise AUC matrix (rows: train cell, columns: test cell), cells in
    ``cluster_order`` on both axes; the AUC is written in each square up to
    ``ANNOTATED_CELLS`` cells.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same matrix.
    """
    order = cluster_order(matrix)
    values = matrix.loc[order, order].to_numpy(dtype=float)
    n_cells = len(order)
    side = max(4.0, 1.5 + 0.2 * n_cells)
    figure = new_figure(side + 1.2, side)
    axes = figure.add_subplot()
    # Transfer AUCs can fall below chance; the scale starts at 0.5 unless one does.
    lowest = min(0.5, math.floor(float(values.min()) * 20) / 20)
    image = axes.imshow(values, cmap="viridis", vmin=lowest, vmax=1.0, interpolation="nearest")
    if n_cells <= ANNOTATED_CELLS:
        middle = (lowest + 1.0) / 2
        for row in range(n_cells):
            for column in range(n_cells):
                value = values[row, column]
                axes.text(
                    column,
                    row,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="black" if value > middle else "white",
                )
    tick_size = "small" if n_cells <= 30 else "x-small"
    axes.set_xticks(range(n_cells), order, rotation=90, fontsize=tick_size)
    axes.set_yticks(range(n_cells), order, fontsize=tick_size)
    axes.set_xlabel("tested on (cell type's test genes)")
    axes.set_ylabel("trained on (cell type's training genes)")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="test AUC", shrink=0.8)

    save_figure(figure, out_png, out_svg)


def _write_json(path: Path, values: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(values, indent=2) + "\n")
