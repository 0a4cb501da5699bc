"""Class optimisation maps (DeepChrome, Singh et al. 2016, after Simonyan et al. 2014).

For a trained model and each class c, find the non-negative input x [marks, bins] that maximises

    S_c(x) - lambda * ||x - x0||^2

by projected gradient ascent: Adam steps on x, each followed by clamping x at 0 (histone signal
is never negative). ``S_c`` is the class score before any softmax: the logit of class c for
two-output models; + the logit (class "high") or - the logit (class "low") for one-output
models. The start is neutral: all zeros, or the training genes' mean input. The map lives in the
model's input space (raw counts or log1p counts, as the model was trained); with lambda > 0 it
is bounded even for piecewise-linear (ReLU) networks, whose score grows only linearly.

The L2 term pulls towards the start x0 (for the zero start, the usual ||x||^2): from the mean
start, the map is the input closest to an average gene that the model scores highest for c, and
since the objective equals S_c(x0) at the start, any gain in the objective is a gain in S_c.

Deviation from DeepChrome: the paper used plain gradient ascent; Adam makes the step size
independent of the scale of the model's input, so one learning rate serves raw and log1p models.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from chromexpr.atomic import atomic_path
from chromexpr.errors import ConfigError
from chromexpr.interpret.outputs import bin_axis_kb
from chromexpr.plots import new_figure, save_png

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")
STARTS = ("zero", "mean")


@dataclass(frozen=True)
class OptimisationSettings:
    """The ``interpret.optimisation`` config mapping."""

    l2_lambda: float = 0.01
    steps: int = 300
    learning_rate: float = 0.05
    start: str = "zero"

    def __post_init__(self) -> None:
        if self.l2_lambda < 0:
            raise ConfigError("interpret.optimisation.lambda", "must be >= 0")
        if self.steps < 1:
            raise ConfigError("interpret.optimisation.steps", "must be >= 1")
        if self.learning_rate <= 0:
            raise ConfigError("interpret.optimisation.learning_rate", "must be > 0")
        if self.start not in STARTS:
            raise ConfigError("interpret.optimisation.start", f"must be one of {STARTS}")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> OptimisationSettings:
        return cls(
            l2_lambda=values.get("lambda", cls.l2_lambda),
            steps=values.get("steps", cls.steps),
            learning_rate=values.get("learning_rate", cls.learning_rate),
            start=values.get("start", cls.start),
        )


def class_score(outputs: torch.Tensor, target_class: int) -> torch.Tensor:
    """Score [batch] of ``target_class`` (0 low, 1 high) from model outputs [batch, 1 or 2]."""
    if outputs.shape[1] == 2:
        return outputs[:, target_class]
    if outputs.shape[1] == 1:
        return outputs[:, 0] if target_class == 1 else -outputs[:, 0]
    raise ValueError(f"expected 1 or 2 model outputs, got {outputs.shape[1]}")


def optimise_class_input(
    model: nn.Module,
    target_class: int,
    start: np.ndarray,
    settings: OptimisationSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """The optimised input [marks, bins] (>= 0) and the class score at each step [steps + 1].

    ``start`` [marks, bins] (x0) is clamped at 0 first. The model's parameters are not changed; it
    is put in eval mode (no dropout) for the search.
    """
    model.eval()
    origin = torch.as_tensor(np.clip(start, 0, None), dtype=torch.float32)[None]
    values = origin.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([values], lr=settings.learning_rate)
    scores = []
    for _ in range(settings.steps):
        score = class_score(model(values), target_class)[0]
        scores.append(score.item())
        objective = score - settings.l2_lambda * (values - origin).pow(2).sum()
        optimiser.zero_grad(set_to_none=True)
        (-objective).backward()
        optimiser.step()
        with torch.no_grad():
            values.clamp_(min=0)
    with torch.no_grad():
        scores.append(class_score(model(values), target_class)[0].item())
    return values.detach()[0].numpy(), np.asarray(scores)


def neutral_start(training_inputs: np.ndarray, start: str) -> np.ndarray:
    """Zeros, or the mean of the training genes' model inputs [genes, marks, bins]: [marks, bins]."""
    if start == "mean":
        return training_inputs.mean(axis=0).astype(np.float32)
    return np.zeros(training_inputs.shape[1:], dtype=np.float32)


def class_optimisation_maps(
    model: nn.Module,
    training_inputs: np.ndarray,
    settings: OptimisationSettings,
) -> dict[str, np.ndarray]:
    """Maps of every class: ``maps`` [classes, marks, bins], ``scores`` [classes, steps + 1],
    ``start`` [marks, bins] (``training_inputs`` [genes, marks, bins] are model inputs)."""
    start = neutral_start(training_inputs, settings.start)
    maps, scores = [], []
    for target_class, name in enumerate(CLASS_NAMES):
        values, trace = optimise_class_input(model, target_class, start, settings)
        logger.info(
            f"class {name}: score {trace[0]:.3f} -> {trace[-1]:.3f} in {settings.steps} steps"
        )
        maps.append(values)
        scores.append(trace)
    return {"maps": np.stack(maps), "scores": np.stack(scores), "start": start}


def write_maps(
    path: str | os.PathLike[str],
    result: Mapping[str, np.ndarray],
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    input_transform: str,
) -> None:
    """The maps as an ``.npz``: ``maps``, ``scores``, ``start``, ``classes``, ``marks``,
    ``bin_offsets``, ``input_transform`` (the space the maps live in)."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            **result,
            classes=np.asarray(CLASS_NAMES),
            marks=np.asarray(marks),
            bin_offsets=np.asarray(bin_offsets),
            input_transform=np.asarray(input_transform),
        )


def plot_maps(
    path: str | os.PathLike[str],
    maps: np.ndarray,
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    title: str,
    input_transform: str,
) -> None:
    """One heatmap (marks x bins) per class, sharing a colour scale; ``maps`` [classes, marks, bins]."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    figure = new_figure(9, 1.2 + 1.4 * len(CLASS_NAMES))
    axes = figure.subplots(len(CLASS_NAMES), 1, sharex=True, squeeze=False)[:, 0]
    top = float(maps.max()) or 1.0
    extent = (positions[0] - bin_size / 2000, positions[-1] + bin_size / 2000, len(marks), 0)
    for axis, name, values in zip(axes, CLASS_NAMES, maps, strict=True):
        image = axis.imshow(
            values,
            aspect="auto",
            cmap="magma",
            vmin=0,
            vmax=top,
            extent=extent,
            interpolation="nearest",
        )
        axis.set_yticks(np.arange(len(marks)) + 0.5, marks)
        axis.set_title(f"class {name}", fontsize="medium")
    axes[-1].set_xlabel("position relative to the TSS (kb)")
    figure.colorbar(image, ax=list(axes), label=f"optimised input ({input_transform})")
    figure.suptitle(title)
    save_png(figure, path)


def run_optimisation(
    dataset,
    trained,
    settings: OptimisationSettings,
    out_npz: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
) -> dict[str, np.ndarray]:
    """Maps of ``trained`` (a ``chromexpr.train.Checkpoint``) for ``dataset``: npz + heatmaps."""
    training_inputs = trained.inputs(dataset, "train")
    result = class_optimisation_maps(trained.model, training_inputs, settings)
    marks = [str(mark) for mark in dataset.marks]
    write_maps(out_npz, result, marks, dataset.bin_offsets, trained.input_transform)
    plot_maps(
        out_png,
        result["maps"],
        marks,
        dataset.bin_offsets,
        f"{trained.name}, cell {dataset.cell}: class optimisation maps",
        trained.input_transform,
    )
    return result
