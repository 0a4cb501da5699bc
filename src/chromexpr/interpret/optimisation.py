"""Class optimisation maps (DeepChrome, Singh et al. 2016, after Simonyan et al. 2014).

For a trained model and each class c, find the input x [marks, bins] that maximises the class
score under a penalty,

    S_c(x) - lambda * sum over marks m and bins b of ((x[m, b] - x0[m, b]) / s[m, b])**2,

with ``S_c`` the class score before any softmax: the logit of class c for two-output models;
+ the logit (class "high") or - the logit (class "low") for one-output models. Everything
happens in the model's input space (after the checkpoint's normalisation and input transform),
and the input is clamped at 0 as it enters the model (histone signal is never negative).

The penalty measures each bin's move in units of ``s[m, b]``, the standard deviation of that
bin among the training genes of one class (around their class's mean): a bin moves about as far
as it varies among genes alike, a bin that never holds reads stays empty. Nothing else is
assumed about the data, and that is deliberate (``chromexpr.interpret.controls`` checks it):

- Marks are independent in the penalty, so a mark's map moves only as far as the model's own
  gradient on that mark asks. A penalty with the training genes' covariance across marks (the
  previous version of this method) moved H3K4me1 in the map of a model that reads only H3K4me3,
  because the two marks rise together in active genes: the map showed the data, not the model.
- Bins are independent too. A covariance along the bins gives every map of a mark the shape of
  that mark's main mode of variation, whatever the gradient: a model with random weights then
  draws the same peak, with a random sign.
- The scale is the within-class spread, not the spread of all genes, which would hold the
  training genes' class difference itself and put it into every map.

In the linear regime the map's high-minus-low is ``s**2`` times the model's mean gradient over
the restarts. For the Bayes classifier of Poisson counts (weights log(mu_high / mu_low)) and
Poisson spreads (s**2 the mean count mu) that is mu * log(mu_high / mu_low), to first order the
class difference mu_high - mu_low: a model that learned the data's class profiles draws them
(the genes' level spread adds to the Poisson one on the demo; the tests measure r >= 0.95).

Restarts start from real inputs: ``restarts`` training genes drawn with the config's seed, the
same for both classes, optimised together as one batch. The map is the mean of the optimised
inputs; averaging over genes removes what one start's local gradient adds.

Deviations from DeepChrome: the paper used plain gradient ascent from one start under an L2
penalty on the input; here Adam steps, each bin's penalty in units of its within-class spread,
and restarts from training genes averaged.
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

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")


@dataclass(frozen=True)
class OptimisationSettings:
    """The ``interpret.optimisation`` config mapping."""

    l2_lambda: float = 0.5
    steps: int = 50
    learning_rate: float = 0.1
    restarts: int = 64
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


def within_class_scales(training_inputs: np.ndarray, training_labels: np.ndarray) -> np.ndarray:
    """Standard deviation [marks, bins] of each bin among the training genes of one class,
    around their class's mean (pooled over the classes); ``training_inputs`` [genes, marks,
    bins], ``training_labels`` [genes] (0 low, 1 high)."""
    inputs = np.asarray(training_inputs, dtype=np.float64)
    labels = np.asarray(training_labels)
    centred = inputs.copy()
    for target in np.unique(labels):
        centred[labels == target] -= inputs[labels == target].mean(axis=0)
    return np.sqrt(np.mean(centred**2, axis=0))


def optimise_class_inputs(
    model: nn.Module,
    target_class: int,
    starts: np.ndarray,
    scales: np.ndarray,
    settings: OptimisationSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimised inputs [restarts, marks, bins] (>= 0) and the mean class score at each step
    [steps + 1], from ``starts`` [restarts, marks, bins] under the penalty of ``scales``
    [marks, bins] (``within_class_scales``).

    The model's parameters are not changed; it is put in eval mode (no dropout) for the search.
    """
    model.eval()
    origin = torch.as_tensor(starts, dtype=torch.float32)
    scale = torch.as_tensor(scales, dtype=torch.float32)
    # The search runs in units of each bin's scale: x = x0 + scale * w, penalty lambda * |w|^2.
    whitened = torch.zeros(origin.shape, requires_grad=True)
    optimiser = torch.optim.Adam([whitened], lr=settings.learning_rate)

    def current() -> torch.Tensor:
        return torch.relu(origin + scale * whitened)

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
    training_labels: np.ndarray,
    settings: OptimisationSettings,
) -> dict[str, np.ndarray]:
    """Maps of every class: ``maps`` [classes, marks, bins] (mean over restarts), ``scores``
    [classes, steps + 1] (mean over restarts), ``start`` [marks, bins] (mean of the restarts'
    starts); ``training_inputs`` [genes, marks, bins] are model inputs, ``training_labels``
    [genes] their classes (for the penalty's scales)."""
    starts = restart_inputs(training_inputs, settings).astype(np.float32)
    scales = within_class_scales(training_inputs, training_labels)
    maps, scores = [], []
    for target_class, name in enumerate(CLASS_NAMES):
        values, trace = optimise_class_inputs(model, target_class, starts, scales, settings)
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


def run_optimisation(
    dataset,
    trained,
    settings: OptimisationSettings,
    out_npz: str | os.PathLike[str],
) -> dict[str, np.ndarray]:
    """Maps of ``trained`` (a ``chromexpr.train.Checkpoint``) for ``dataset``, written to
    ``out_npz`` (``write_maps``; ``chromexpr.plots.maps`` draws them beside their controls).
    DatasetMismatchError unless ``trained`` is a classifier that may score ``dataset``
    (``Checkpoint.check_compatible``)."""
    trained.check_compatible(dataset, task="classification")
    result = class_optimisation_maps(
        trained.model,
        trained.inputs(dataset, "train"),
        dataset.labels[dataset.mask("train")],
        settings,
    )
    marks = [str(mark) for mark in dataset.marks]
    write_maps(out_npz, result, marks, dataset.bin_offsets, trained.input_transform)
    return result
