"""Cross-cell training and scoring: per-cell models on normalised counts, pairwise transfer,
leave-one-out and pooled models. Every model is loaded through its bundle
(``chromexpr.train.checkpoint``), which knows its input transform and normalisation."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from chromexpr.atomic import atomic_path
from chromexpr.crosscell.checks import check_experiment, check_no_test_leakage, check_same_features
from chromexpr.crosscell.tables import (
    LEAVE_ONE_OUT,
    PAIRWISE,
    POOLED,
    transfer_table,
    write_transfer_table,
)
from chromexpr.crosscell.transfer_tests import transfer_test, write_transfer_tests
from chromexpr.dataset import CellDataset
from chromexpr.evaluation import auc
from chromexpr.models import capabilities
from chromexpr.normalisation import normalise
from chromexpr.stats import auc_interval
from chromexpr.train import Checkpoint, TrainingSettings, load_checkpoint, train_cell
from chromexpr.train.input_statistics import sample_statistics
from chromexpr.train.runtime import deterministic_algorithms, resolve_device

logger = logging.getLogger(__name__)

POOLED_SET = "all"


def leave_one_out_set(held_out: str) -> str:
    """The ``train_set`` name of the model trained on every cell but ``held_out``."""
    return f"all-but-{held_out}"


# --- pooling and training ---------------------------------------------------------------------


def check_per_gene_model(model_name: str) -> None:
    """ValueError for models that read neighbouring genes: a pool holds each gene once per cell,
    so a gene's nearest "neighbour" would be itself in another cell."""
    if capabilities(model_name).reads_neighbours:
        raise ValueError(
            f"{model_name} reads neighbouring genes, which a pool of cells does not define; "
            "use it in pairwise transfer only (crosscell.models)"
        )


def pool_datasets(datasets: Sequence[CellDataset], name: str) -> CellDataset:
    """One dataset named ``name`` holding every gene of every dataset, cell after cell.

    Each gene keeps its id and split, so a gene id appears once per cell, and ``train_cell``
    trains on all training genes, selects on all validation genes and reports the AUC over all
    test genes. The datasets must share marks and bins; the pool takes the first one's
    expression unit and mark kinds (the cells of one run share them).
    """
    if not datasets:
        raise ValueError("pool_datasets needs at least one dataset")
    for dataset in datasets[1:]:
        check_same_features(datasets[0], dataset)
    per_gene = {
        field.name: np.concatenate([getattr(dataset, field.name) for dataset in datasets])
        for field in fields(CellDataset)
        if field.name not in ("cell", "expression_unit", "marks", "bin_offsets", "mark_kinds")
    }
    return CellDataset(
        cell=name,
        expression_unit=datasets[0].expression_unit,
        marks=datasets[0].marks,
        bin_offsets=datasets[0].bin_offsets,
        mark_kinds=datasets[0].mark_kinds,
        **per_gene,
    )


def train_normalised_cell(
    dataset: CellDataset,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``train_cell`` on the counts normalised by ``normalisation``: the per-cell models that
    ``pairwise_transfer`` scores with that normalisation.

    Writes the files ``train_cell`` writes; ``metrics.json`` and the bundle also record
    ``normalisation`` (the bundle's input kinds are the counts', which normalising keeps).
    """
    check_no_test_leakage([dataset], dataset)
    return train_cell(
        normalise(dataset, normalisation),
        settings,
        out_dir,
        extra_metrics={"normalisation": normalisation},
        provenance={**(provenance or {}), "normalisation": normalisation},
    )


def _train_pooled(
    datasets: Mapping[str, CellDataset],
    cells: Sequence[str],
    name: str,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
) -> tuple[dict[str, Any], Checkpoint, torch.device]:
    """Train one model on the pooled genes of ``cells`` (named ``name``); its metrics, its
    bundle loaded for scoring, and the device. A mark is one input kind in every cell (the
    sample sheet's rule), so the first cell's kinds are the pool's (``pool_datasets``)."""
    # Each cell is normalised on its own (depth is per experiment), then pooled.
    pool = pool_datasets([normalise(datasets[cell], normalisation) for cell in cells], name)
    metrics = train_cell(
        pool,
        settings,
        out_dir,
        extra_metrics={"normalisation": normalisation},
        provenance={"samples": list(cells), "normalisation": normalisation},
    )
    device = resolve_device(settings.device)
    return metrics, load_checkpoint(Path(out_dir) / "model.pt", device), device


# --- scoring ----------------------------------------------------------------------------------


def _score(
    checkpoint: Checkpoint,
    inputs: torch.Tensor,
    test_set: CellDataset,
    experiment: str,
    train_set: str,
    normalisation: str,
) -> dict[str, Any]:
    """One transfer-table row: the AUC of a model on one cell's test genes (one batched pass),
    with its DeLong 95% interval, and whether the model converged (as its bundle records)."""
    return _row(
        checkpoint,
        _test_labels(test_set),
        checkpoint.scores(inputs, inputs.device),
        test_set.cell,
        experiment,
        train_set,
        normalisation,
    )


def _row(
    checkpoint: Checkpoint,
    labels: np.ndarray,
    probabilities: np.ndarray,
    test_cell: str,
    experiment: str,
    train_set: str,
    normalisation: str,
) -> dict[str, Any]:
    interval = auc_interval(labels, probabilities)
    return {
        "experiment": experiment,
        "train_set": train_set,
        "test_cell": test_cell,
        "model": checkpoint.name,
        "normalisation": normalisation,
        "auc": auc(labels, probabilities),
        "auc_ci_low": interval.low,
        "auc_ci_high": interval.high,
        "n_test": len(labels),
        "converged": checkpoint.converged,
    }


def _test_labels(test_set: CellDataset) -> np.ndarray:
    return test_set.labels[test_set.mask("test")].astype(np.int64)


def _test_inputs(
    checkpoint: Checkpoint, dataset: CellDataset, device: torch.device
) -> torch.Tensor:
    return torch.as_tensor(checkpoint.inputs(dataset, "test"), device=device)


def pairwise_transfer(
    model_name: str,
    checkpoints: Mapping[str, Path],
    datasets: Mapping[str, CellDataset],
    normalisation: str,
    device: str = "auto",
    split: Mapping[str, Any] | None = None,
    tests_path: Path | None = None,
) -> pd.DataFrame:
    """Every per-cell model (``checkpoints``: train cell -> model.pt) scored on the test genes of
    every cell of ``datasets``: the long table, one ``pairwise`` row per (train cell, test cell).
    With ``tests_path``, also writes there, per test cell with a model of its own and another's,
    DeLong's test of the mean transfer AUC against the own model's (``transfer_tests``).

    No retraining. Each bundle must be of ``model_name`` and record ``normalisation``
    (``train_cell`` writes ``none``; ``train_normalised_cell`` the one it trained with) and,
    given ``split`` (the config's, which laid out ``datasets``), have been trained with it; none
    may have trained or validated on a test gene (LeakageError naming the bundle and how many:
    a bundle of another split, fold or gene table, fetched with ``pretrained``, say). A test
    cell whose marks lie outside a model's training range is scored with a warning in the log
    naming the models and marks (``chromexpr.train.input_statistics``).
    Every model is loaded once and kept (a few MB each); the test cells are taken one at a time,
    normalised once and scored by every model in one batched pass each, so memory holds one
    cell's test inputs beside the models.
    """
    if not checkpoints:
        raise ValueError("pairwise_transfer needs at least one checkpoint")
    missing = sorted(set(checkpoints) - set(datasets))
    if missing:
        raise ValueError(f"checkpoints of cells without a dataset: {missing}")
    train_cells, test_cells = sorted(checkpoints), sorted(datasets)
    check_experiment([datasets[cell] for cell in train_cells], [datasets[c] for c in test_cells])
    first = datasets[test_cells[0]]
    # check_experiment: every test cell has the first one's genes and split
    test_genes = first.gene_ids[first.mask("test")]

    torch_device = resolve_device(device)
    models = {cell: load_checkpoint(checkpoints[cell], torch_device) for cell in train_cells}
    for checkpoint in models.values():
        if checkpoint.name != model_name:
            raise ValueError(f"{checkpoint.path} holds a {checkpoint.name}, not {model_name}")
        # Every model reads the input built once per test cell (by the first model): one
        # normalisation, one transform; the test cells share marks and bins (check_experiment).
        checkpoint.check_compatible(
            first,
            normalisation=normalisation,
            input_transform=models[train_cells[0]].input_transform,
            split=split,
            held_out=test_genes,
        )
    logger.info(
        "%s, normalisation %s: %d models x %d test cells on %s",
        model_name,
        normalisation,
        len(models),
        len(test_cells),
        torch_device,
    )
    rows, tests = [], []
    converged = {cell: checkpoint.converged for cell, checkpoint in models.items()}
    with deterministic_algorithms(torch_device):
        for test_cell in test_cells:
            # Every model reads the same input (same transform and normalisation): build it once.
            inputs = _test_inputs(models[train_cells[0]], datasets[test_cell], torch_device)
            _warn_out_of_range(models, datasets[test_cell], normalisation)
            labels = _test_labels(datasets[test_cell])
            scores = {cell: models[cell].scores(inputs, torch_device) for cell in train_cells}
            rows += [
                _row(models[cell], labels, scores[cell], test_cell, PAIRWISE, cell, normalisation)
                for cell in train_cells
            ]
            if test_cell in scores and len(scores) > 1:
                tests.append(
                    transfer_test(model_name, normalisation, test_cell, labels, scores, converged)
                )
            logger.info(
                "test cell %s: %d genes scored by %d models", test_cell, len(inputs), len(models)
            )
    if tests_path is not None:
        write_transfer_tests(tests, tests_path)
    return transfer_table(rows)


def _warn_out_of_range(
    models: Mapping[str, Checkpoint], test_set: CellDataset, normalisation: str
) -> None:
    """One warning per test cell naming the models whose training range its marks lie outside."""
    statistics = sample_statistics(test_set, normalisation)
    outside = {cell: model.out_of_range(statistics) for cell, model in models.items()}
    named = [f"{cell} ({', '.join(marks)})" for cell, marks in outside.items() if marks]
    if named:
        logger.warning(
            "test cell %s: marks outside the training range of the models of %s; their AUCs "
            "there read inputs unlike those they were trained on",
            test_set.cell,
            ", ".join(named),
        )


def leave_one_out(
    model_name: str,
    datasets: Mapping[str, CellDataset],
    held_out: str,
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
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
    metrics, checkpoint, device = _train_pooled(
        datasets, training_cells, train_set, settings, normalisation, out_dir
    )
    with deterministic_algorithms(device):
        inputs = _test_inputs(checkpoint, test_set, device)
        row = _score(checkpoint, inputs, test_set, LEAVE_ONE_OUT, train_set, normalisation)
    transfer = {
        **row,
        "training_cells": training_cells,
        "n_train": metrics["n_train"],
        "n_valid": metrics["n_valid"],
    }
    logger.info(
        "%s trained without %s: AUC on its test genes %.4f", model_name, held_out, row["auc"]
    )
    with atomic_path(Path(out_dir) / "transfer.json") as tmp:
        tmp.write_text(json.dumps(transfer, indent=2) + "\n")
    return transfer


def pooled(
    model_name: str,
    datasets: Mapping[str, CellDataset],
    settings: TrainingSettings,
    normalisation: str,
    out_dir: Path,
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
    check_experiment(all_sets, all_sets)

    _, checkpoint, device = _train_pooled(
        datasets, cells, POOLED_SET, settings, normalisation, out_dir
    )
    with deterministic_algorithms(device):
        rows = [
            _score(
                checkpoint,
                _test_inputs(checkpoint, datasets[cell], device),
                datasets[cell],
                POOLED,
                POOLED_SET,
                normalisation,
            )
            for cell in cells
        ]
    table = transfer_table(rows)
    write_transfer_table(table, Path(out_dir) / "transfer.tsv")
    return table


def _check_model(model_name: str, settings: TrainingSettings) -> None:
    if settings.model != model_name:
        raise ValueError(f"settings are for model {settings.model!r}, not {model_name!r}")
