"""What every model file chromexpr writes shares: the per-cell bundle
(``chromexpr.train.checkpoint``) and the differential bundle (``chromexpr.differential.bundle``)
describe their window the same way, end with the same metrics, versions and weights, and are
checked and rebuilt by the same rules when read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

import chromexpr
from chromexpr.atomic import atomic_path
from chromexpr.errors import InputFormatError
from chromexpr.train.fit import state_copy

SPLIT_PREFIXES = ("train_", "valid_", "test_")


def window_entries(
    marks: Sequence[Any], bin_offsets: Sequence[Any], provenance: Mapping[str, Any]
) -> dict[str, Any]:
    """The bundle's ``marks``, ``bin_offsets``, ``window``, ``bin_size`` and, from
    ``provenance`` (None where it does not say), ``reverse_minus_strand`` and
    ``window_convention``."""
    offsets = [int(offset) for offset in bin_offsets]
    return {
        "marks": [str(mark) for mark in marks],
        "bin_offsets": offsets,
        "window": -offsets[0],
        "bin_size": offsets[1] - offsets[0] if len(offsets) > 1 else None,
        "reverse_minus_strand": provenance.get("reverse_minus_strand"),
        "window_convention": provenance.get("window_convention"),
    }


def write_bundle(
    path: Path, bundle: Mapping[str, Any], model: nn.Module, metrics: Mapping[str, Any]
) -> None:
    """``bundle`` with the train / valid / test figures of ``metrics``, the chromexpr and torch
    versions and ``model``'s weights (on the CPU), written to ``path`` atomically."""
    complete = {
        **bundle,
        "metrics": {key: value for key, value in metrics.items() if key.startswith(SPLIT_PREFIXES)},
        "versions": {"chromexpr": chromexpr.__version__, "torch": str(torch.__version__)},
        "state_dict": state_copy(model),
    }
    with atomic_path(path) as tmp:
        torch.save(complete, tmp)


def checked_bundle(
    path: Path, bundle: Any, kind: str, newest: int, not_this: str, label: str
) -> dict[str, Any]:
    """``bundle``, what ``path`` holds (``chromexpr.train.checkpoint.read_bundle_file``), if it
    is of ``kind`` (its ``format``) in a format this chromexpr reads (at most ``newest``); else
    InputFormatError naming the file (``not_this``: what a file of another kind is told;
    ``label``: the bundle's name in the message about a newer format)."""
    if not isinstance(bundle, dict) or bundle.get("format") != kind:
        raise InputFormatError(path, not_this)
    if bundle["format_version"] > newest:
        raise InputFormatError(
            path,
            f"{label} bundle format {bundle['format_version']} is newer than this chromexpr's "
            f"({newest}); update chromexpr",
        )
    return bundle


def load_weights(path: Path, model: nn.Module, state: Mapping[str, Any], name: str) -> None:
    """``state`` into ``model``; InputFormatError naming the file where they do not fit."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise InputFormatError(path, f"weights do not fit {name}: {error}") from error
