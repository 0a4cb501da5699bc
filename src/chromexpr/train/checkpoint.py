"""The one checkpoint format: a trained model that describes itself, saved and loaded here.

``model.pt`` is a dict that ``torch.load(path, weights_only=True)`` reads (tensors, strings,
numbers, lists and dicts only):

=====================  ==========================================================================
key                    what
=====================  ==========================================================================
``format``             ``"chromexpr-model"``; ``format_version`` (3; older formats are still
                       read: format 2 lacks ``input.mark_kinds``, ``input.statistics`` and
                       ``training.genes``, format 1 also ``expression_unit`` and
                       ``input.kind``)
``model``              registry name; ``hyperparameters``: the constructor's keyword arguments
                       (with the task's ``n_outputs``); ``n_outputs``: the output width
``task``               ``classification`` or ``regression``; ``expression_unit``: the unit of the
                       expression trained on (``rpkm``, ``fpkm``, ``tpm``, ``unknown``)
``marks``              mark names in input order; ``bin_offsets``: each bin's start relative to
                       the TSS; ``window`` (bases either side of the TSS) and ``bin_size``;
                       ``reverse_minus_strand``: the bins' orientation, ``window_convention``
                       where a minus-strand gene's window sits (chromexpr.genome.bins; both
                       None where unknown, as in bundles written before they were recorded)
``input``              ``transform`` (raw, log1p), ``normalisation`` (none, cpm, quantile),
                       ``kind`` (``reads``: integer counts; ``signal``: any mark a bigWig's),
                       ``mark_kinds`` (each mark's) and ``statistics``: per mark the training
                       genes' mean per bin and percentiles of per-gene totals
                       (``chromexpr.train.input_statistics``); fitted input statistics are
                       buffers of ``state_dict``
``training``           ``samples`` (the cells trained on), ``split`` (how genes were split),
                       ``genes`` (ids of ``train``, ``valid`` genes), ``selection_metric``,
                       ``best_epoch``, ``epochs_run``, ``converged``, ``convergence``
                       (chromexpr.train.convergence; absent in older bundles), ``settings``
``metrics``            train / valid / test figures of the kept epoch
``versions``           ``chromexpr`` and ``torch`` that wrote it
``state_dict``         the weights (on the CPU)
=====================  ==========================================================================

``load_checkpoint`` rebuilds the model without the config; cross-cell scoring, interpretation
and prediction all load through it, and ask ``Checkpoint.check_compatible`` whether the bundle
may score their dataset as they ask (one function per rule, in
``chromexpr.train.compatibility``), ``Checkpoint.seen_in_training`` which genes it trained or
validated on, and ``Checkpoint.out_of_range`` where a sample's marks lie outside the range of
its training inputs. A bare state dict
(chromexpr before this format) is refused with a message saying how to retrain. Given the
sha256 an export manifest records (``chromexpr.train.export``), it checks the file's bytes
before reading them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from chromexpr.dataset import UNKNOWN_UNIT, CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.evaluation import predict_outputs
from chromexpr.models import build_model
from chromexpr.normalisation import normalise
from chromexpr.train import compatibility
from chromexpr.train.bundle_file import checked_bundle, load_weights, window_entries, write_bundle
from chromexpr.train.fit import Run
from chromexpr.train.input_statistics import (
    SEEN_SPLITS,
    input_statistics,
    out_of_range,
    seen_genes,
)
from chromexpr.train.inputs import model_inputs, transform_inputs
from chromexpr.train.tasks import TASKS, Task

FORMAT = "chromexpr-model"
FORMAT_VERSION = 3


def save_checkpoint(
    path: Path,
    run: Run,
    dataset: CellDataset,
    metrics: Mapping[str, Any],
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write ``run``'s model (its current weights) and what it needs to be applied, atomically.

    ``dataset`` is what the model was trained on (normalised where it was): its input kinds,
    training input statistics and training and validation genes are recorded. ``provenance``
    adds what the dataset does not record: ``samples`` (default: the dataset's cell),
    ``split``, ``fold`` (default 0), ``reverse_minus_strand``, ``window_convention``,
    ``normalisation`` (default ``none``).
    """
    provenance = dict(provenance or {})
    settings = run.settings
    bundle = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "hyperparameters": run.task.n_outputs(settings.model_params),
        "n_outputs": _output_width(run),
        "task": run.task.name,
        "expression_unit": dataset.expression_unit,
        **window_entries(dataset.marks, dataset.bin_offsets, provenance),
        "input": {
            "transform": settings.input_transform,
            "normalisation": provenance.get("normalisation", "none"),
            "kind": dataset.input_kind,
            "mark_kinds": [str(kind) for kind in dataset.mark_kinds],
            "statistics": input_statistics(dataset),
        },
        "training": {
            "samples": list(provenance.get("samples", [dataset.cell])),
            "split": provenance.get("split"),
            "fold": provenance.get("fold", 0),
            "genes": seen_genes(dataset),
            "selection_metric": run.task.selection_column,
            "best_epoch": run.best.epoch,
            "epochs_run": len(run.history),
            "converged": metrics["converged"],
            "convergence": metrics["convergence"],
            "settings": metrics["settings"],
        },
    }
    write_bundle(path, bundle, run.model, metrics)


def _output_width(run: Run) -> int:
    first_gene = run.data.features["train"][:1]
    return int(predict_outputs(run.model, first_gene, first_gene.device).shape[1])


@dataclass
class Checkpoint:
    """A trained model in eval mode, rebuilt from its bundle, and the bundle's description."""

    path: Path
    model: nn.Module
    bundle: dict[str, Any]  # everything but the state_dict

    @property
    def name(self) -> str:
        return self.bundle["model"]

    @property
    def task(self) -> Task:
        return TASKS[self.bundle["task"]]

    @property
    def n_outputs(self) -> int:
        return self.bundle["n_outputs"]

    @property
    def input_transform(self) -> str:
        return self.bundle["input"]["transform"]

    @property
    def normalisation(self) -> str:
        return self.bundle["input"]["normalisation"]

    @property
    def input_kind(self) -> str | None:
        """``reads`` or ``signal``; None for a format-1 bundle, which did not record it."""
        return self.bundle["input"].get("kind")

    @property
    def mark_kinds(self) -> list[str] | None:
        """Each mark's input kind; None where not recorded (a format-2 bundle of signal, whose
        marks' kinds are unknown, or format 1). A format-2 bundle of reads read every mark as
        reads."""
        if "mark_kinds" in self.bundle["input"]:
            return self.bundle["input"]["mark_kinds"]
        if self.input_kind == "reads":
            return ["reads"] * len(self.bundle["marks"])
        return None

    @property
    def expression_unit(self) -> str:
        return self.bundle["expression_unit"]

    @cached_property
    def seen_genes(self) -> np.ndarray | None:
        """The ids of the genes it trained or validated on, sorted; None where the bundle does
        not record them (formats 1 and 2)."""
        genes = self.bundle["training"].get("genes")
        if genes is None:
            return None
        return np.unique(np.concatenate([np.asarray(genes[s], dtype=str) for s in SEEN_SPLITS]))

    def seen_in_training(self, gene_ids: np.ndarray) -> np.ndarray | None:
        """Per gene of ``gene_ids`` [genes]: whether the bundle trained or validated on it (bool
        [genes]); None where it does not record its genes."""
        if self.seen_genes is None:
            return None
        return np.isin(np.asarray(gene_ids, dtype=str), self.seen_genes)

    def out_of_range(self, sample: Mapping[str, Mapping[str, Any]]) -> dict[str, str] | None:
        """The marks of a sample outside this bundle's training range, each with what breaks
        the rule (``chromexpr.train.input_statistics``); ``sample``: the sample's statistics,
        normalised as this bundle normalises (``sample_statistics(dataset,
        checkpoint.normalisation)``). None where the bundle does not record its input
        statistics (formats 1 and 2)."""
        training = self.bundle["input"].get("statistics")
        if training is None:
            return None
        return out_of_range(training, sample)

    @property
    def converged(self) -> bool | None:
        """Whether training converged (chromexpr.train.convergence); None in older bundles."""
        return self.bundle["training"].get("converged")

    def check_compatible(
        self,
        dataset: CellDataset | None = None,
        *,
        task: str | None = None,
        reverse_minus_strand: bool | None = None,
        normalisation: str | None = None,
        input_transform: str | None = None,
        split: Mapping[str, Any] | None = None,
        held_out: np.ndarray | None = None,
        allow_other_input_kind: bool = False,
    ) -> None:
        """May this bundle score ``dataset`` as the caller asks? DatasetMismatchError naming the
        bundle and what differs unless so.

        ``dataset``: its marks (in order), bins and input kind must be the bundle's. Each keyword
        is what the caller will score with: the ``task``, the bins' orientation
        ``reverse_minus_strand`` (unchecked where either side does not know it), the
        ``normalisation``, the ``input_transform`` and the ``split`` (the config's ``split``
        that laid out the genes about to be scored; unchecked where the bundle does not record
        one), ``held_out``: the ids of the genes about to be scored as held out, none of which
        may be a gene it trained or validated on (LeakageError; unchecked, with a warning, where
        the bundle does not record its genes). None leaves that property unchecked.
        ``allow_other_input_kind``: a dataset of another input kind is scored with a warning
        (compatibility.check_input_kind).
        """
        if dataset is not None:
            compatibility.check_marks_and_bins(self, dataset)
            compatibility.check_input_kind(self, dataset, allow_other_input_kind)
        if task is not None:
            compatibility.check_task(self, task)
        if reverse_minus_strand is not None:
            compatibility.check_orientation(self, reverse_minus_strand)
        if normalisation is not None:
            compatibility.check_normalisation(self, normalisation)
        if input_transform is not None:
            compatibility.check_input_transform(self, input_transform)
        if split is not None:
            compatibility.check_split(self, split)
        if held_out is not None:
            compatibility.check_unseen_genes(self, held_out)

    def inputs(
        self,
        dataset: CellDataset,
        split: str | None = None,
        allow_other_input_kind: bool = False,
        checked: bool = False,
    ) -> np.ndarray:
        """The model's input for the genes of ``split`` (all when None) of ``dataset``:
        normalised, transformed and with neighbours gathered as in training.

        InputFormatError for counts that are not finite (NaN or infinite): a model would turn
        them into NaN scores without a word; DatasetMismatchError where the bundle may not score
        ``dataset`` (``check_compatible``). ``checked``: the caller has run both checks on
        ``dataset`` already (predictions check every bundle before scoring any)."""
        if not checked:
            check_finite_counts(dataset)
            self.check_compatible(dataset, allow_other_input_kind=allow_other_input_kind)
        return model_inputs(
            self.name,
            self.model,
            normalise(dataset, self.normalisation),
            self.input_transform,
            split,
        )

    def scores(
        self, inputs: np.ndarray | torch.Tensor, device: torch.device | str = "cpu"
    ) -> np.ndarray:
        """The task's score per gene [genes]: p(high), or the predicted log(expression + 1)."""
        return self.task.scores(predict_outputs(self.model, inputs, device))

    def transform_counts(self, counts: np.ndarray) -> torch.Tensor:
        """Model input float32 [genes, marks, bins] of counts that need no normalisation or
        neighbours (generated profiles, say): the input transform alone."""
        return torch.as_tensor(transform_inputs(counts, self.input_transform))

    def class_probabilities(self, inputs: torch.Tensor) -> torch.Tensor:
        """p(class) [genes, 2] (low, high) of model inputs [genes, marks, bins]."""
        with torch.no_grad():
            outputs = self.model(inputs)
        if self.n_outputs == 2:
            return torch.softmax(outputs, dim=1)
        high = torch.sigmoid(outputs[:, 0])
        return torch.stack([1 - high, high], dim=1)


def check_finite_counts(dataset: CellDataset) -> None:
    """InputFormatError naming the cell, gene and mark of the first count that is not finite."""
    finite = np.isfinite(dataset.counts)
    if not finite.all():
        gene, mark, _ = np.argwhere(~finite)[0]
        raise InputFormatError(
            f"dataset of cell {dataset.cell}",
            f"{int((~finite).sum())} counts are NaN or infinite (first: gene "
            f"{dataset.gene_ids[gene]}, mark {dataset.marks[mark]}); recount the sample",
        )


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_bundle_file(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> Any:
    """What a model file holds, read with ``weights_only=True`` (the per-cell bundle here, the
    differential bundle of ``chromexpr.differential.bundle``); InputFormatError naming the file
    where it cannot be read."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputFormatError(path, f"cannot read model checkpoint: {first_line}") from error


def load_checkpoint(
    path: str | os.PathLike[str],
    device: torch.device | str = "cpu",
    sha256: str | None = None,
) -> Checkpoint:
    """The model of ``path`` (a bundle ``save_checkpoint`` wrote) on ``device``, in eval mode.

    With ``sha256`` (an export manifest's), the file's bytes must have that digest first.
    InputFormatError naming the file for anything else, a bare state dict included.
    """
    path = Path(path)
    if sha256 is not None:
        try:
            found = file_sha256(path)
        except OSError as error:
            raise InputFormatError(path, f"cannot read model bundle: {error}") from error
        if found != sha256:
            raise InputFormatError(
                path,
                f"sha256 {found} differs from the manifest's {sha256}: the bundle was changed "
                "or truncated after export; export or download it again",
            )
    bundle = checked_bundle(
        path,
        read_bundle_file(path, device),
        FORMAT,
        FORMAT_VERSION,
        "a bare state dict from an older chromexpr run, not a self-describing model bundle; "
        "it does not say how to rebuild the model. Retrain it: delete its folder and rerun "
        "snakemake (or `chromexpr train`)",
        "model",
    )
    if bundle["format_version"] == 1:
        # Format 1 recorded neither: taken as unknown (the expression unit) and unchecked (kind).
        bundle["expression_unit"] = UNKNOWN_UNIT
    state = bundle.pop("state_dict")
    model = build_model(
        bundle["model"],
        len(bundle["marks"]),
        len(bundle["bin_offsets"]),
        **bundle["hyperparameters"],
    )
    load_weights(path, model, state, bundle["model"])
    return Checkpoint(path, model.to(device).eval(), bundle)
