"""What every model file chromexpr writes shares: the per-cell bundle
(``chromexpr.train.checkpoint``) and the differential bundle (``chromexpr.differential.bundle``)
describe their window the same way and end with the same metrics, versions and weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

import chromexpr
from chromexpr.atomic import atomic_path
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
