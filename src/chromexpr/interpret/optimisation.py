"""Class optimisation maps (DeepChrome, Singh et al. 2016, after Simonyan et al. 2014).

For a trained model and each class c, find the input x [marks, bins] that maximises the class
score under a penalty,

    S_c(x) - lambda * (x - x0)' Sigma^-1 (x - x0),

with ``S_c`` the class score before any softmax: the logit of class c for two-output models;
+ the logit (class "high") or - the logit (class "low") for one-output models. Everything
happens in the model's input space (after the checkpoint's normalisation and input transform),
and the input is clamped at 0 as it enters the model (histone signal is never negative).

What makes the problem well-posed:

- The penalty is the training genes' own Gaussian log-density: ``Sigma`` is their input
  covariance over marks x bins (Ledoit-Wolf shrinkage, scikit-learn). Directions in which real
  genes vary (a whole peak rising, neighbouring bins together, marks that come together) are
  cheap; bin-to-bin noise is expensive, so the penalty smooths along the bins. The search runs in
  whitened coordinates ``x = x0 + L w`` (``Sigma = L L'``) with an L2 penalty on ``w``, and its
  first step moves the input along ``Sigma * grad S_c``: for a model that separates two Gaussian
  classes, exactly the class difference of the mean inputs.
- Restarts start from real inputs: ``restarts`` training genes drawn with the config's seed, the
  same for both classes, optimised together as one batch. The map is the mean of the optimised
  inputs, so the high-minus-low map is the mean change that turns a gene towards high rather than
  towards low; averaging over genes removes what one start's local gradient adds.

Deviations from DeepChrome: the paper used plain gradient ascent from one start under an L2
penalty on the input; here Adam steps (the step size does not depend on the input's scale), the
data's covariance in the penalty, and restarts from training genes averaged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.covariance import LedoitWolf
from torch import nn

from chromexpr.atomic import atomic_path
from chromexpr.errors import ConfigError
from chromexpr.interpret.outputs import bin_axis_kb
from chromexpr.plots.figure import new_figure, save_png, set_suptitle

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")


@dataclass(frozen=True)
class OptimisationSettings:
    """The ``interpret.optimisation`` config mapping."""

    l2_lambda: float = 0.5
    steps: int = 50
    learning_rate: float = 0.1
    restarts: int = 16
    seed: int = 1

    def __post_init__(self) -> None:
        if self.l2_lambda <= 0:
            raise ConfigError("interpret.optimisation.lambda", "must be > 0")
        if self.steps < 1:
            raise ConfigError("interpret.optimisation.steps", "must be >= 1")
        if self.learning_rate <= 0:
            raise ConfigError("interpret.optimisation.learning_rate", "must be > 0")
        if self.restarts < 1:
            raise ConfigError("interpret.optimisation.restarts", "must be >= 1")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> OptimisationSettings:
        return cls(
            l2_lambda=values.get("lambda", cls.l2_lambda),
            steps=values.get("steps", cls.steps),
            learning_rate=values.get("learning_rate", cls.learning_rate),
            restarts=values.get("restarts", cls.restarts),
            seed=values.get("seed", cls.seed),
        )


def class_score(outputs: torch.Tensor, target_class: int) -> torch.Tensor:
    """Score [batch] of ``target_class`` (0 low, 1 high) from model outputs [batch, 1 or 2]."""
    if outputs.shape[1] == 2:
        return outputs[:, target_class]
    if outputs.shape[1] == 1:
        return outputs[:, 0] if target_class == 1 else -outputs[:, 0]
    raise ValueError(f"expected 1 or 2 model outputs, got {outputs.shape[1]}")


def input_covariance_factor(training_inputs: np.ndarray) -> np.ndarray:
    """Cholesky factor L [features, features] of the training inputs' shrunk covariance
    (Ledoit-Wolf) over marks x bins flattened; ``training_inputs`` [genes, marks, bins]."""
    flat = training_inputs.reshape(len(training_inputs), -1).astype(np.float64)
    covariance = LedoitWolf().fit(flat).covariance_
    # Bins that are zero in every gene have no variance; a tiny ridge keeps L defined.
    ridge = 1e-6 * max(float(np.trace(covariance)) / len(covariance), 1e-12)
    return np.linalg.cholesky(covariance + ridge * np.eye(len(covariance)))


def optimise_class_inputs(
    model: nn.Module,
    target_class: int,
    starts: np.ndarray,
    factor: np.ndarray,
    settings: OptimisationSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimised inputs [restarts, marks, bins] (>= 0) and the mean class score at each step
    [steps + 1], from ``starts`` [restarts, marks, bins] under the penalty of ``factor`` (L).

    The model's parameters are not changed; it is put in eval mode (no dropout) for the search.
    """
    model.eval()
    origin = torch.as_tensor(starts, dtype=torch.float32)
    lower = torch.as_tensor(factor, dtype=torch.float32)
    whitened = torch.zeros(origin.shape[0], lower.shape[0], requires_grad=True)
    optimiser = torch.optim.Adam([whitened], lr=settings.learning_rate)

    def current() -> torch.Tensor:
        return torch.relu(origin + (whitened @ lower.T).reshape(origin.shape))

    scores = []
    for _ in range(settings.steps):
        score = class_score(model(current()), target_class)
        scores.append(score.mean().item())
        objective = score.sum() - settings.l2_lambda * whitened.pow(2).sum()
        optimiser.zero_grad(set_to_none=True)
        (-objective).backward()
        optimiser.step()
    with torch.no_grad():
        values = current()
        scores.append(class_score(model(values), target_class).mean().item())
    return values.numpy(), np.asarray(scores)


def restart_inputs(training_inputs: np.ndarray, settings: OptimisationSettings) -> np.ndarray:
    """``restarts`` training genes' inputs drawn with ``seed`` (all when there are fewer genes):
    [restarts, marks, bins]."""
    rng = np.random.default_rng(settings.seed)
    count = min(settings.restarts, len(training_inputs))
    return training_inputs[np.sort(rng.choice(len(training_inputs), count, replace=False))]


def class_optimisation_maps(
    model: nn.Module,
    training_inputs: np.ndarray,
    settings: OptimisationSettings,
) -> dict[str, np.ndarray]:
    """Maps of every class: ``maps`` [classes, marks, bins] (mean over restarts), ``scores``
    [classes, steps + 1] (mean over restarts), ``start`` [marks, bins] (mean of the restarts'
    starts); ``training_inputs`` [genes, marks, bins] are model inputs."""
    starts = restart_inputs(training_inputs, settings).astype(np.float32)
    factor = input_covariance_factor(training_inputs)
    maps, scores = [], []
    for target_class, name in enumerate(CLASS_NAMES):
        values, trace = optimise_class_inputs(model, target_class, starts, factor, settings)
        logger.info(
            f"class {name}: mean score {trace[0]:.3f} -> {trace[-1]:.3f} in {settings.steps} "
            f"steps, {len(starts)} restarts"
        )
        maps.append(values.mean(axis=0))
        scores.append(trace)
    return {"maps": np.stack(maps), "scores": np.stack(scores), "start": starts.mean(axis=0)}


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
    simulated: bool = False,
) -> None:
    """Heatmaps (marks x bins) of each class's map, sharing a colour scale, and of high minus
    low on a diverging scale centred on 0; ``maps`` [classes, marks, bins]."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    figure = new_figure(9, 1.6 + 1.4 * (len(CLASS_NAMES) + 1))
    axes = figure.subplots(len(CLASS_NAMES) + 1, 1, sharex=True, squeeze=False)[:, 0]
    extent = (positions[0] - bin_size / 2000, positions[-1] + bin_size / 2000, len(marks), 0)
    difference = maps[1] - maps[0]
    largest = float(np.abs(difference).max()) or 1.0
    panels = [
        (f"class {name}", values, "magma", 0.0, float(maps.max()) or 1.0)
        for name, values in zip(CLASS_NAMES, maps, strict=True)
    ]
    panels.append(("high minus low", difference, "RdBu_r", -largest, largest))
    for axis, (label, values, colours, low, high) in zip(axes, panels, strict=True):
        image = axis.imshow(
            values,
            aspect="auto",
            cmap=colours,
            vmin=low,
            vmax=high,
            extent=extent,
            interpolation="nearest",
        )
        axis.set_yticks(np.arange(len(marks)) + 0.5, marks)
        axis.set_title(label, fontsize="medium")
        figure.colorbar(image, ax=axis, label=input_transform, pad=0.01)
    axes[-1].set_xlabel("position relative to the TSS (kb)")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def run_optimisation(
    dataset,
    trained,
    settings: OptimisationSettings,
    out_npz: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    simulated: bool = False,
) -> dict[str, np.ndarray]:
    """Maps of ``trained`` (a ``chromexpr.train.Checkpoint``) for ``dataset``: npz + heatmaps
    (``simulated``: the figure says the data are the demo's). DatasetMismatchError unless
    ``trained`` is a classifier that may score ``dataset`` (``Checkpoint.check_compatible``)."""
    trained.check_compatible(dataset, task="classification")
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
        simulated,
    )
    return result
