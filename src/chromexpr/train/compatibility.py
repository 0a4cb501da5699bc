"""May a model bundle score a dataset? One function per rule, each raising DatasetMismatchError
(LeakageError for genes it saw) that names the bundle and what differs;
``Checkpoint.check_compatible`` asks them.

=========================  =================================================================
rule                       the bundle and what the caller scores must agree on
=========================  =================================================================
``check_marks_and_bins``   the marks, in order, and the bins (a model reads them by position)
``check_input_kind``       each mark's kind: read counts or a bigWig's mean signal (the whole
                           sample's for a format-2 bundle of signal; unchecked for format 1)
``check_task``             classification or regression
``check_orientation``      ``reverse_minus_strand`` (unchecked where the bundle lacks it)
``check_normalisation``    none, cpm or quantile
``check_input_transform``  raw or log1p
``check_split``            the config's ``split`` (unchecked where the bundle lacks it)
``check_unseen_genes``     genes scored as held out are none it trained or validated on
                           (unchecked, with a warning, for formats 1 and 2)
=========================  =================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from chromexpr.dataset import CellDataset
from chromexpr.errors import DatasetMismatchError, LeakageError, preview
from chromexpr.train.tasks import TASKS

if TYPE_CHECKING:
    from chromexpr.train.checkpoint import Checkpoint

logger = logging.getLogger(__name__)


def check_marks_and_bins(checkpoint: Checkpoint, dataset: CellDataset) -> None:
    """A model reads marks and bins by position: the same marks, in order, and bins."""
    for key, ours, theirs in (
        ("marks", checkpoint.bundle["marks"], [str(mark) for mark in dataset.marks]),
        ("bin_offsets", checkpoint.bundle["bin_offsets"], [int(x) for x in dataset.bin_offsets]),
    ):
        if ours != theirs:
            raise DatasetMismatchError(
                f"{checkpoint.path} was trained on {key} {preview(ours)}, but dataset of cell "
                f"{dataset.cell} has {preview(theirs)}"
            )


def check_input_kind(
    checkpoint: Checkpoint, dataset: CellDataset, allow_other_kind: bool = False
) -> None:
    """Read counts and a bigWig's mean signal differ in scale: a model reads each mark as the
    kind it was trained on. The message names each mark that differs (a format-2 bundle of
    signal did not record which marks were signal: the whole sample's kind is compared;
    unchecked for a format-1 bundle, which recorded no kind). With ``allow_other_kind`` (a
    prediction sample whose files are of another kind, which the config check warned about, or
    ``chromexpr predict --allow-other-input-kind``) the difference is logged as a warning
    instead."""
    recorded = checkpoint.mark_kinds
    if recorded is not None:
        differ = [
            f"{mark} ({trained} in training, {kind} in {dataset.cell})"
            for mark, trained, kind in zip(dataset.marks, recorded, dataset.mark_kinds, strict=True)
            if trained != kind
        ]
    elif checkpoint.input_kind not in (None, dataset.input_kind):
        differ = [
            f"the input kind ({checkpoint.input_kind} in training, {dataset.input_kind} "
            f"in {dataset.cell}; the bundle does not record each mark's)"
        ]
    else:
        differ = []
    if not differ:
        return
    message = (
        f"{checkpoint.path} was trained on inputs of another kind than dataset of cell "
        f"{dataset.cell}: {', '.join(differ)}"
    )
    if not allow_other_kind:
        raise DatasetMismatchError(
            f"{message}; train on inputs of the kind it will score, or score it all the same "
            "with chromexpr predict --allow-other-input-kind"
        )
    logger.warning(f"{message}: scored all the same; its scores read inputs on another scale")


def check_task(checkpoint: Checkpoint, task: str) -> None:
    if checkpoint.task.name != task:
        raise DatasetMismatchError(
            f"{checkpoint.path} is a {checkpoint.task.name} model, but {task} was asked "
            f"for ({TASKS[task].score_name}); use a {task} bundle"
        )


def check_orientation(checkpoint: Checkpoint, reverse_minus_strand: bool) -> None:
    """Bins of minus-strand genes read downstream first or upstream first; a bundle that does not
    record its orientation (None) is taken at its word."""
    recorded = checkpoint.bundle.get("reverse_minus_strand")
    if recorded is not None and recorded != reverse_minus_strand:
        raise DatasetMismatchError(
            f"{checkpoint.path} was trained on bins with reverse_minus_strand {recorded}, "
            f"but the sample's bins have reverse_minus_strand {reverse_minus_strand}"
        )


def check_normalisation(checkpoint: Checkpoint, normalisation: str) -> None:
    if checkpoint.normalisation != normalisation:
        raise DatasetMismatchError(
            f"{checkpoint.path} was trained on counts normalised by {checkpoint.normalisation}, "
            f"not {normalisation}"
        )


def check_input_transform(checkpoint: Checkpoint, input_transform: str) -> None:
    if checkpoint.input_transform != input_transform:
        raise DatasetMismatchError(
            f"{checkpoint.path} reads input transform {checkpoint.input_transform}, not "
            f"{input_transform}: bundles scored together read different input transforms; "
            "retrain them with one training config"
        )


def check_split(checkpoint: Checkpoint, split: Mapping[str, Any]) -> None:
    """Test genes are test genes only under the split the model was trained with: under another,
    some were its training or validation genes."""
    recorded = checkpoint.bundle["training"]["split"]
    if recorded is not None and dict(recorded) != dict(split):
        raise DatasetMismatchError(
            f"{checkpoint.path} was trained on genes split by {recorded}, but the genes scored "
            f"were split by {split}: their test genes may be genes it was trained on; score it "
            "on datasets of its own split"
        )


def check_unseen_genes(checkpoint: Checkpoint, held_out: np.ndarray) -> None:
    """Scores of genes a bundle trained or validated on are not held-out scores: LeakageError
    naming the bundle and how many of ``held_out`` (gene ids about to be scored as held out) it
    saw. A bundle that does not record its genes (formats 1 and 2) is taken at its split, with a
    warning."""
    seen = checkpoint.seen_in_training(held_out)
    if seen is None:
        logger.warning(
            f"{checkpoint.path} does not record the genes it was trained on (a bundle of format "
            f"{checkpoint.bundle['format_version']}): the genes it scores as held out are not "
            "checked against them; retrain it with this chromexpr to check them"
        )
        return
    if seen.any():
        training = checkpoint.bundle["training"]
        raise LeakageError(
            f"{checkpoint.path} ({checkpoint.name} trained on {'+'.join(training['samples'])}) "
            f"was trained or validated on {int(seen.sum())} of the {len(seen)} genes it would "
            f"score as held out (first: {np.asarray(held_out)[seen][0]}): their scores would not "
            f"be test scores. It was trained on genes split by {training['split']}, fold "
            f"{training['fold']}; score it on datasets of its own split and fold"
        )
