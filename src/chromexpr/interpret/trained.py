"""Reload a trained per-cell model from ``results/models/{model}/{cell}/``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from chromexpr.errors import InputFormatError
from chromexpr.models import build_model
from chromexpr.train.inputs import transform_inputs


@dataclass
class TrainedModel:
    """A model in eval mode on the CPU, with the settings it was trained with."""

    model: nn.Module
    name: str
    input_transform: str  # "raw" or "log1p": what the model expects of counts
    n_outputs: int  # 2: logits (low, high); 1: one logit (or a regression output)

    def inputs(self, counts: np.ndarray) -> torch.Tensor:
        """Model input float32 [genes, marks, bins] from counts [genes, marks, bins]."""
        return torch.as_tensor(transform_inputs(counts, self.input_transform))

    def class_probabilities(self, inputs: torch.Tensor) -> torch.Tensor:
        """p(class) [genes, 2] (low, high) of model inputs [genes, marks, bins]."""
        with torch.no_grad():
            outputs = self.model(inputs)
        if self.n_outputs == 2:
            return torch.softmax(outputs, dim=1)
        high = torch.sigmoid(outputs[:, 0])
        return torch.stack([1 - high, high], dim=1)


def count_outputs(model: nn.Module, n_marks: int, n_bins: int) -> int:
    """Width of the model's output, from one forward pass of a zero input."""
    with torch.no_grad():
        return int(model(torch.zeros(1, n_marks, n_bins)).shape[1])


def load_trained_model(
    model_dir: str | os.PathLike[str], n_marks: int, n_bins: int
) -> TrainedModel:
    """The model of ``model_dir`` (``model.pt`` + ``metrics.json``), rebuilt from its settings."""
    folder = Path(model_dir)
    metrics_path = folder / "metrics.json"
    try:
        settings: dict[str, Any] = json.loads(metrics_path.read_text())["settings"]
    except (OSError, ValueError, KeyError) as error:
        raise InputFormatError(metrics_path, f"no training settings: {error}") from error
    model = build_model(settings["model"], n_marks, n_bins, **settings.get("model_params", {}))
    state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
    return TrainedModel(
        model=model,
        name=settings["model"],
        input_transform=settings.get("input_transform", "raw"),
        n_outputs=count_outputs(model, n_marks, n_bins),
    )
