"""Attention weights of a trained model with attention (``has_attention``), from its bundle."""

from __future__ import annotations

import logging
import os

import numpy as np
import torch

from chromexpr.atomic import atomic_path
from chromexpr.dataset import CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.models import capabilities
from chromexpr.train import load_checkpoint
from chromexpr.train.checkpoint import Checkpoint
from chromexpr.train.fit import EVALUATION_BATCH_SIZE

logger = logging.getLogger(__name__)


def attention_weights(checkpoint: Checkpoint, inputs: torch.Tensor) -> dict[str, np.ndarray]:
    """The model's weights over the genes of ``inputs`` (the model's input, one row per gene):
    ``bins`` [genes, marks, bins] and ``marks`` [genes, marks]."""
    if not capabilities(checkpoint.name).has_attention:
        raise InputFormatError(checkpoint.path, f"{checkpoint.name} has no attention weights")
    chunks: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode():
        for start in range(0, len(inputs), EVALUATION_BATCH_SIZE):
            weights = checkpoint.model.attention(inputs[start : start + EVALUATION_BATCH_SIZE])
            for key, value in weights.items():
                chunks.setdefault(key, []).append(value.float().cpu())
    return {key: torch.cat(values).numpy() for key, values in chunks.items()}


def write_attention(
    model_path: str | os.PathLike[str],
    dataset: CellDataset,
    out_npz: str | os.PathLike[str],
) -> None:
    """``attention.npz`` of the test genes: ``gene_ids``, ``label``, ``probability`` (p(high)),
    ``mark_names``, and the weights ``bins`` and ``marks``. DatasetMismatchError unless the
    bundle is a classifier that may score ``dataset`` (``Checkpoint.check_compatible``)."""
    checkpoint = load_checkpoint(model_path)
    checkpoint.check_compatible(dataset, task="classification")
    inputs = torch.as_tensor(checkpoint.inputs(dataset, "test"))
    weights = attention_weights(checkpoint, inputs)
    probability = checkpoint.scores(inputs)
    test = dataset.mask("test")
    logger.info(
        "%s on cell %s: attention of %d test genes", checkpoint.name, dataset.cell, int(test.sum())
    )
    with atomic_path(out_npz, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            gene_ids=dataset.gene_ids[test],
            label=dataset.labels[test],
            probability=probability,
            mark_names=dataset.marks,
            **weights,
        )
