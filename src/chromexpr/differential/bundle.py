"""The differential bundle: a trained pair model that describes itself, saved and loaded here.

``model.pt`` of a differential model is a dict that torch reads with ``weights_only=True``
(through ``chromexpr.train.checkpoint.read_bundle_file``, like the per-cell bundle):

=====================  ==========================================================================
key                    what
=====================  ==========================================================================
``format``             ``"chromexpr-differential-model"``; ``format_version`` 1
``model``              differential model name (``chromexpr.differential.registry``);
                       ``hyperparameters``: the keywords that rebuild it
                       (``chromexpr.differential.models.build_pair_model``; for the difference
                       of single-cell models, each member's name, keywords and input transform)
``task``               ``differential``; ``target``: ``pseudocount`` and ``threshold`` of the
                       log2 fold change of B over A; ``expression_unit`` of the expression
``cells``              [A, B], the cell types trained on
``marks``              mark names in input order; ``bin_offsets``, ``window``, ``bin_size``,
                       ``reverse_minus_strand``, ``window_convention`` as the per-cell bundle
``input``              ``kind``: ``reads`` or ``signal``
``training``           ``split``, ``fold``, ``selection_metric``, ``best_epoch``, ``epochs_run``,
                       ``settings`` (None for the difference of single-cell models)
``metrics``            train / valid / test figures of the kept epoch
``versions``           ``chromexpr`` and ``torch`` that wrote it
``state_dict``         the weights (on the CPU)
=====================  ==========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from chromexpr.differential.models import PairModel, build_pair_model
from chromexpr.differential.pairs import PairDataset
from chromexpr.differential.registry import has_attention
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.train.bundle_file import checked_bundle, load_weights, window_entries, write_bundle
from chromexpr.train.checkpoint import read_bundle_file

if TYPE_CHECKING:
    from chromexpr.differential.outputs import PairRun

FORMAT = "chromexpr-differential-model"
FORMAT_VERSION = 1


def save_bundle(
    path: Path,
    run: PairRun,
    pair: PairDataset,
    metrics: Mapping[str, Any],
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write ``run``'s model for ``pair`` atomically. ``provenance``: ``split``, ``fold``,
    ``reverse_minus_strand`` and ``window_convention``, which the datasets do not record."""
    provenance = dict(provenance or {})
    bundle = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": run.name,
        "hyperparameters": run.hyperparameters,
        "task": "differential",
        "target": {"pseudocount": pair.pseudocount, "threshold": pair.threshold},
        "expression_unit": pair.a.expression_unit,
        "cells": [pair.a.cell, pair.b.cell],
        **window_entries(pair.a.marks, pair.a.bin_offsets, provenance),
        "input": {"kind": pair.a.input_kind},
        "training": {
            "split": provenance.get("split"),
            "fold": provenance.get("fold", 0),
            "selection_metric": "valid_pearson",
            "best_epoch": run.best_epoch,
            "epochs_run": len(run.history),
            "settings": metrics.get("settings"),
        },
    }
    write_bundle(path, bundle, run.model, metrics)


@dataclass
class DifferentialBundle:
    """A trained pair model in eval mode, rebuilt from its bundle, and the bundle's description."""

    path: Path
    model: PairModel
    bundle: dict[str, Any]  # everything but the state_dict

    @property
    def name(self) -> str:
        return self.bundle["model"]

    @property
    def cells(self) -> list[str]:
        return list(self.bundle["cells"])

    @property
    def has_attention(self) -> bool:
        return has_attention(self.name)

    def pair(self, a, b) -> PairDataset:
        """The pair of datasets ``a`` and ``b`` with this bundle's target definition;
        DatasetMismatchError naming the bundle where their marks, bins or input kind are not
        the bundle's (or the two datasets' genes and split differ)."""
        pair = PairDataset(a, b, **self.bundle["target"])
        marks = [str(mark) for mark in pair.a.marks]
        if marks != self.bundle["marks"]:
            raise DatasetMismatchError(
                f"{self.path} was trained on marks {self.bundle['marks']}; the datasets of "
                f"{pair.name} have {marks}"
            )
        if [int(offset) for offset in pair.a.bin_offsets] != self.bundle["bin_offsets"]:
            raise DatasetMismatchError(
                f"{self.path} was trained on {len(self.bundle['bin_offsets'])} bins of "
                f"{self.bundle['bin_size']} bp (window {self.bundle['window']}); the datasets of "
                f"{pair.name} have {len(pair.a.bin_offsets)} bins: count the samples with the "
                "bundle's window"
            )
        if pair.a.input_kind != self.bundle["input"]["kind"]:
            raise DatasetMismatchError(
                f"{self.path} was trained on {self.bundle['input']['kind']}; the datasets of "
                f"{pair.name} hold {pair.a.input_kind}"
            )
        return pair


def is_differential_bundle(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a differential bundle; False for a per-cell bundle and for a file
    that cannot be read (whose loader then says why)."""
    try:
        bundle = read_bundle_file(path)
    except InputFormatError:
        return False
    return isinstance(bundle, dict) and bundle.get("format") == FORMAT


def load_bundle(
    path: str | os.PathLike[str], device: torch.device | str = "cpu"
) -> DifferentialBundle:
    """The pair model of ``path`` on ``device``, in eval mode; InputFormatError naming the file
    for anything but a differential bundle this chromexpr can read."""
    path = Path(path)
    bundle = checked_bundle(
        path,
        read_bundle_file(path, device),
        FORMAT,
        FORMAT_VERSION,
        "not a differential model bundle (chromexpr differential)",
        "differential",
    )
    state = bundle.pop("state_dict")
    model = build_pair_model(
        bundle["model"],
        len(bundle["marks"]),
        len(bundle["bin_offsets"]),
        **bundle["hyperparameters"],
    )
    load_weights(path, model, state, bundle["model"])
    return DifferentialBundle(path, model.to(device).eval(), bundle)


def check_finite(pair: PairDataset) -> None:
    """InputFormatError naming the cell of the first count that is not finite."""
    for dataset in (pair.a, pair.b):
        if not np.all(np.isfinite(dataset.counts)):
            raise InputFormatError(
                f"dataset of cell {dataset.cell}", "counts are NaN or infinite; recount the sample"
            )
