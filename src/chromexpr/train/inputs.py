"""A model's input and targets, from a dataset: the same in training, scoring and prediction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.models import capabilities
from chromexpr.neighbours import neighbour_index
from chromexpr.train.tasks import Task

INPUT_TRANSFORMS = ("raw", "log1p")


def transform_inputs(counts: np.ndarray, input_transform: str) -> np.ndarray:
    """Model input float32 [genes, marks, bins] from counts [genes, marks, bins]."""
    values = np.asarray(counts, dtype=np.float32)
    if input_transform == "log1p":
        return np.log1p(values)
    return values


def model_inputs(
    model_name: str,
    model: nn.Module,
    dataset: CellDataset,
    input_transform: str,
    split: str | None = None,
) -> np.ndarray:
    """Model input float32 of the genes of ``split`` (every gene when None).

    [genes, marks, bins] for models of one gene; [genes, 1 + k, marks, bins] for models that
    read each gene's k neighbours too (``reads_neighbours``; k and the order are the model's
    ``neighbours`` and ``neighbour_order``), the gene itself first. Neighbours are looked up
    among all genes of the dataset, whatever their split: their histone marks are inputs, never
    their labels.
    """
    values = transform_inputs(dataset.counts, input_transform)
    if capabilities(model_name).reads_neighbours:
        index = neighbour_index(dataset.chrom, dataset.tss, model.neighbours, model.neighbour_order)
        values = values[np.concatenate([np.arange(dataset.n_genes)[:, None], index], axis=1)]
    return values if split is None else values[dataset.mask(split)]


@dataclass
class SplitData:
    """A model's input (on its device) and the task's targets, per split."""

    features: dict[str, torch.Tensor]  # split -> model input, one row per gene
    targets: dict[str, np.ndarray]  # split -> [genes]: 0/1 labels or log(expression + 1)
    train_targets: torch.Tensor  # targets["train"] on the device

    @classmethod
    def of(
        cls, inputs: np.ndarray, dataset: CellDataset, task: Task, device: torch.device
    ) -> SplitData:
        """Split ``inputs`` (one row per gene of ``dataset``) and the task's targets."""
        features = {
            split: torch.as_tensor(inputs[dataset.mask(split)], device=device) for split in SPLITS
        }
        targets = {split: task.targets(dataset, split) for split in SPLITS}
        return cls(features, targets, torch.as_tensor(targets["train"], device=device))
