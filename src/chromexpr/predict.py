"""Expression predicted for a sample without RNA-seq: trained bundles applied to its counts.

A sample's dataset needs counts, not expression (``unlabelled_dataset`` builds one, with labels
-1 and expression NaN). Each bundle (``chromexpr.train.checkpoint``) applies its own normalisation,
input transform and neighbour gathering, so bundles trained differently can be averaged.

The predictions table (``predict_expression``; written with ``chromexpr.atomic.write_tsv``), one row per gene in the dataset's order:

======================  =====================================================================
column                  meaning
======================  =====================================================================
``gene_id``             Ensembl gene id; ``symbol``, ``chrom``, ``tss`` (0-based), ``strand``
``split``               the gene's split in the training layout (``test`` genes were seen by
                        no per-cell model of the same layout)
``{score}_{b}``         each bundle ``b``'s score: ``p_high`` (probability of "high",
                        classification) or ``log_expression`` (predicted log(expression + 1),
                        regression, in the unit of the bundle's training data)
``{score}``             the mean over the bundles; ``{score}_sd`` their standard deviation
                        (population, 0 for one bundle)
``seen_in_training``    how many of the bundles trained or validated on the gene (0: a
                        held-out gene for every bundle; bundles that do not record their
                        genes, formats 1 and 2, are not counted, with a warning in the log)
``out_of_range_marks``  the sample's marks (comma-separated) outside the training range of
                        at least one bundle, ``none`` where every mark is in range; the same
                        on every row (the rule: ``chromexpr.train.input_statistics``; the
                        log names each bundle, mark and figure)
======================  =====================================================================

Before any scores, the counts and every bundle are checked (``Checkpoint.check_compatible``):
a sample whose marks are of another input kind (reads or a bigWig's signal) than a bundle was
trained on is refused, naming the marks, unless ``allow_other_input_kind``.

The tracks put the mean at each gene's TSS: a BED (BED6 + the value; the BED score is the value
scaled to 0-1000 over the sample's genes) and a bigWig of 1-base entries (where genes share a
TSS, the first gene in the table wins).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from chromexpr.atomic import write_tsv
from chromexpr.dataset import UNKNOWN_UNIT, CellDataset
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.interpret.tracks import write_bigwig
from chromexpr.train.checkpoint import Checkpoint, check_finite_counts
from chromexpr.train.input_statistics import sample_statistics
from chromexpr.train.runtime import deterministic_algorithms, resolve_device
from chromexpr.train.tasks import TASKS

logger = logging.getLogger(__name__)

SCORE_NAMES = {name: task.score_name for name, task in TASKS.items()}


def unlabelled(dataset: CellDataset) -> CellDataset:
    """``dataset`` with its expression held back: labels -1 and expression NaN for every gene,
    its unit ``unknown``."""
    return replace(
        dataset,
        labels=np.full(dataset.n_genes, -1, dtype=np.int8),
        expression=np.full(dataset.n_genes, np.nan),
        expression_unit=UNKNOWN_UNIT,
    )


def bundle_labels(checkpoints: Sequence[Checkpoint]) -> list[str]:
    """A column label per bundle: the cells it was trained on (joined by ``+``), made unique by
    a number where two bundles share them."""
    labels = ["+".join(c.bundle["training"]["samples"]) for c in checkpoints]
    if len(set(labels)) < len(labels):
        labels = [f"{label}#{number}" for number, label in enumerate(labels, start=1)]
    return labels


def predict_expression(
    checkpoints: Sequence[Checkpoint],
    dataset: CellDataset,
    task: str = "classification",
    reverse_minus_strand: bool | None = None,
    labels: Sequence[str] | None = None,
    device: str = "cpu",
    allow_other_input_kind: bool = False,
) -> pd.DataFrame:
    """The predictions table (module docstring) of every gene of ``dataset`` by each bundle.

    The dataset's expression is never read. DatasetMismatchError for a bundle that may not
    score ``dataset`` (``Checkpoint.check_compatible``: task, marks, bins, each mark's input
    kind, orientation; with ``allow_other_input_kind`` another input kind is a logged
    warning); InputFormatError for counts that are not finite. The counts and every bundle are
    checked once, before any scores. The log says how many genes each bundle saw in training
    and which marks lie outside its training range.
    """
    if not checkpoints:
        raise ValueError("predictions need at least one model bundle")
    check_finite_counts(dataset)
    for checkpoint in checkpoints:
        checkpoint.check_compatible(
            dataset,
            task=task,
            reverse_minus_strand=reverse_minus_strand,
            allow_other_input_kind=allow_other_input_kind,
        )
    labels = list(labels) if labels is not None else bundle_labels(checkpoints)
    if len(labels) != len(checkpoints):
        raise ValueError(f"{len(labels)} labels for {len(checkpoints)} bundles")
    score = SCORE_NAMES[task]
    table = pd.DataFrame(
        {
            "gene_id": dataset.gene_ids,
            "symbol": dataset.symbols,
            "chrom": dataset.chrom,
            "tss": dataset.tss,
            "strand": dataset.strand,
            "split": dataset.split,
        }
    )
    torch_device = resolve_device(device)
    with deterministic_algorithms(torch_device):
        for checkpoint, label in zip(checkpoints, labels, strict=True):
            inputs = torch.as_tensor(checkpoint.inputs(dataset, checked=True), device=torch_device)
            table[f"{score}_{label}"] = checkpoint.scores(inputs, torch_device)
    per_bundle = table[[f"{score}_{label}" for label in labels]].to_numpy()
    table[score] = per_bundle.mean(axis=1)
    table[f"{score}_sd"] = per_bundle.std(axis=1)
    table["seen_in_training"] = seen_in_training(checkpoints, labels, dataset)
    table["out_of_range_marks"] = (
        ",".join(out_of_range_marks(checkpoints, labels, dataset)) or "none"
    )
    logger.info(
        "%s: %d genes predicted by %d bundle(s) (%s); mean %s %.4f",
        dataset.cell,
        dataset.n_genes,
        len(checkpoints),
        ", ".join(labels),
        score,
        table[score].mean(),
    )
    return table


def seen_in_training(
    checkpoints: Sequence[Checkpoint], labels: Sequence[str], dataset: CellDataset
) -> np.ndarray:
    """Per gene of ``dataset``, how many of the bundles trained or validated on it [genes]; the
    log says how many genes each bundle saw (a bundle without the record: a warning)."""
    counts = np.zeros(dataset.n_genes, dtype=np.int64)
    for checkpoint, label in zip(checkpoints, labels, strict=True):
        seen = checkpoint.seen_in_training(dataset.gene_ids)
        if seen is None:
            logger.warning(
                "bundle %s (%s) does not record the genes it was trained on: seen_in_training "
                "does not count it",
                label,
                checkpoint.path,
            )
            continue
        counts += seen
        logger.info(
            "bundle %s trained or validated on %d of the %d genes of %s predicted (their scores "
            "are not held out)",
            label,
            int(seen.sum()),
            dataset.n_genes,
            dataset.cell,
        )
    return counts


def out_of_range_marks(
    checkpoints: Sequence[Checkpoint], labels: Sequence[str], dataset: CellDataset
) -> list[str]:
    """The marks of ``dataset`` outside the training range of at least one bundle, in the
    dataset's mark order; a warning in the log per bundle and mark, with the figures."""
    statistics = {}  # per normalisation: bundles of one normalisation see the same inputs
    found = set()
    for checkpoint, label in zip(checkpoints, labels, strict=True):
        if checkpoint.normalisation not in statistics:
            statistics[checkpoint.normalisation] = sample_statistics(
                dataset, checkpoint.normalisation
            )
        marks = checkpoint.out_of_range(statistics[checkpoint.normalisation])
        if marks is None:
            logger.warning(
                "bundle %s (%s) does not record its training inputs' statistics: the range of "
                "%s's marks is not checked against it",
                label,
                checkpoint.path,
                dataset.cell,
            )
            continue
        for mark, reason in marks.items():
            logger.warning(
                "%s's %s lies outside the training range of bundle %s: %s; its scores read "
                "inputs unlike those it was trained on",
                dataset.cell,
                mark,
                label,
                reason,
            )
        found.update(marks)
    return [str(mark) for mark in dataset.marks if mark in found]


def score_column(table: pd.DataFrame) -> str:
    """The mean-score column of a predictions table."""
    found = [name for name in SCORE_NAMES.values() if name in table.columns]
    if len(found) != 1:
        raise ValueError(f"a predictions table has one of {list(SCORE_NAMES.values())}")
    return found[0]


def write_bed(table: pd.DataFrame, path: str | os.PathLike[str], score: str | None = None) -> None:
    """BED6 + the value: each gene's TSS base, named by its id, scored 0-1000 by its mean (or
    by the column ``score``)."""
    score = score or score_column(table)
    values = table[score].to_numpy(np.float64)
    low, high = values.min(), values.max()
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    bed = pd.DataFrame(
        {
            "chrom": table["chrom"],
            "start": table["tss"],
            "end": table["tss"] + 1,
            "name": table["gene_id"],
            "score": np.rint(1000 * scaled).astype(int),
            "strand": table["strand"],
            score: values,
        }
    ).sort_values(["chrom", "start"], kind="stable")
    write_tsv(bed, path, header=False, float_format="%.6g")


def write_prediction_bigwig(
    table: pd.DataFrame,
    chrom_sizes: Mapping[str, int],
    path: str | os.PathLike[str],
    score: str | None = None,
) -> None:
    """A bigWig of the mean score (or of the column ``score``) on each gene's TSS base (first
    gene wins on a shared TSS)."""
    score = score or score_column(table)
    if (table["chrom"] == "").any() or (table["tss"] < 0).any():
        raise InputFormatError(path, "genes without a position (processed source): no track")
    entries = {}
    for chrom, genes in table.groupby("chrom", sort=False):
        if chrom not in chrom_sizes:
            raise InputFormatError(path, f"chromosome {chrom} is not in the chrom sizes")
        genes = genes.sort_values("tss", kind="stable").drop_duplicates("tss")
        starts = genes["tss"].to_numpy(np.int64)
        entries[str(chrom)] = (starts, starts + 1, genes[score].to_numpy(np.float64))
    write_bigwig(path, entries, chrom_sizes)


def score_predictions(
    table: pd.DataFrame,
    dataset: CellDataset,
    checkpoints: Sequence[Checkpoint],
    split: str = "test",
) -> pd.DataFrame:
    """Each bundle's and the mean's figures against ``dataset``'s real expression, over the
    genes of ``split``: columns ``predictor`` and the task's figures (AUC; Pearson and Spearman).
    For checking predictions of a sample whose expression was held back.

    ``checkpoints``: the bundles that predicted ``table``. On the test genes, LeakageError
    naming a bundle that trained or validated on some of them and how many
    (``Checkpoint.check_compatible(held_out=...)``): those would not be test scores. On the
    training or validation genes the figures are in-sample by nature and nothing is refused."""
    score = score_column(table)
    task = TASKS[{name: task for task, name in SCORE_NAMES.items()}[score]]
    if not np.array_equal(table["gene_id"].to_numpy(str), dataset.gene_ids.astype(str)):
        raise DatasetMismatchError(
            f"predictions and the dataset of cell {dataset.cell} list different genes"
        )
    mask = dataset.mask(split)
    if split == "test":
        for checkpoint in checkpoints:
            checkpoint.check_compatible(held_out=dataset.gene_ids[mask])
    targets = task.targets(dataset, split)
    predictors = [column for column in table.columns if column.startswith(f"{score}_")]
    predictors = [column for column in predictors if column != f"{score}_sd"] + [score]
    rows = [
        {
            "predictor": column,
            "n_genes": int(mask.sum()),
            **task.split_metrics(targets, table[column].to_numpy()[mask]),
        }
        for column in predictors
    ]
    return pd.DataFrame(rows)


def predict_sample(
    checkpoints: Sequence[Checkpoint],
    dataset: CellDataset,
    out_tsv: str | os.PathLike[str],
    task: str = "classification",
    reverse_minus_strand: bool | None = None,
    bed: str | os.PathLike[str] | None = None,
    bigwig: str | os.PathLike[str] | None = None,
    chrom_sizes: Mapping[str, int] | None = None,
    device: str = "cpu",
    allow_other_input_kind: bool = False,
) -> pd.DataFrame:
    """Predict every gene of ``dataset`` and write the table, and the BED and bigWig where
    asked. Everything is checked and computed before the first file is written, so bad input
    leaves no output behind. ``allow_other_input_kind``: as for :func:`predict_expression`."""
    if bigwig is not None:
        if chrom_sizes is None:
            raise ValueError("a bigWig needs the chrom sizes")
        unknown = sorted(set(dataset.chrom.tolist()) - set(chrom_sizes))
        if unknown:
            raise InputFormatError(bigwig, f"chromosomes {unknown} are not in the chrom sizes")
    table = predict_expression(
        checkpoints,
        dataset,
        task,
        reverse_minus_strand,
        device=device,
        allow_other_input_kind=allow_other_input_kind,
    )
    write_tsv(table, out_tsv)
    if bed is not None:
        write_bed(table, bed)
    if bigwig is not None:
        write_prediction_bigwig(table, chrom_sizes, bigwig)
    return table
