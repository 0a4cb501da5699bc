"""The models that interpretation controls are drawn from (``chromexpr.interpret.controls``).

After Adebayo et al. 2018 ("Sanity checks for saliency maps", NeurIPS): a map that describes a
model must change when the model does. Each function here builds one such changed model:

- ``randomised_cascade``: copies of the trained model with its weights re-initialised layer by
  layer from the top (the output layer first, then the one below, ... down to all of them);
- ``without_marks`` + ``MarksHidden``: a dataset with some marks' bins zeroed, to train a model
  of the same architecture that never saw them, and the wrapper that zeroes them in any input
  it is given afterwards (the model never reads them, in training or when it is interpreted);
- ``with_permuted_labels``: a dataset whose training and validation labels are shuffled, to
  train a model that can learn nothing true about the classes;
- ``most_predictive_mark``: a logistic regression on the one mark that predicts best alone.

``control_models`` builds them all for one trained model.
"""

from __future__ import annotations

import copy
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from chromexpr.dataset import CellDataset
from chromexpr.models import build_model
from chromexpr.train import Checkpoint, TrainingSettings, load_checkpoint, train_cell

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ControlModel:
    """One control: which, its description, the model, the mark it concerns (the ablated
    mark, or the one mark a single-mark model sees) and whether its figures are judged (not
    the randomisation cascade's partial levels)."""

    control: str
    description: str
    model: nn.Module
    mark: str | None = None
    judged: bool = True


class MarksHidden(nn.Module):
    """``model`` reading inputs [genes, marks, bins] with the bins of the marks at ``hidden``
    (indices) set to zero first: it never sees them."""

    def __init__(self, model: nn.Module, hidden: Sequence[int]) -> None:
        super().__init__()
        self.model = model
        self.hidden = list(hidden)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = torch.ones(inputs.shape[1], 1, dtype=inputs.dtype, device=inputs.device)
        keep[self.hidden] = 0.0
        return self.model(inputs * keep)


def parameter_layers(model: nn.Module) -> list[nn.Module]:
    """The modules of ``model`` that hold parameters of their own, in the order they were
    defined (input side first)."""
    return [module for module in model.modules() if list(module.parameters(recurse=False))]


def randomised_cascade(trained: Checkpoint, seed: int) -> list[tuple[int, nn.Module]]:
    """(layers re-initialised, copy of ``trained``'s model) for 1, 2, ... all of its parameter
    layers, each copy with that many layers from the top drawn afresh: their parameters are those
    of a new model of the same class and hyperparameters built with ``seed`` (the class's own
    initialisation; the global random state is left as it was). Buffers (input statistics,
    say) are kept."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = build_model(
            trained.name,
            len(trained.bundle["marks"]),
            len(trained.bundle["bin_offsets"]),
            **trained.bundle["hyperparameters"],
        )
    fresh_layers = parameter_layers(fresh)[::-1]
    cascade = []
    for count in range(1, len(fresh_layers) + 1):
        randomised = copy.deepcopy(trained.model).eval()
        layers = parameter_layers(randomised)[::-1]
        with torch.no_grad():
            for layer, new in zip(layers[:count], fresh_layers[:count], strict=True):
                for parameter, drawn in zip(
                    layer.parameters(recurse=False), new.parameters(recurse=False), strict=True
                ):
                    parameter.copy_(drawn)
        cascade.append((count, randomised))
    return cascade


def without_marks(dataset: CellDataset, marks: Sequence[str]) -> CellDataset:
    """``dataset`` with the bins of ``marks`` zero in every gene."""
    counts = dataset.counts.copy()
    counts[:, [list(map(str, dataset.marks)).index(mark) for mark in marks]] = 0
    return replace(dataset, counts=counts)


def with_permuted_labels(dataset: CellDataset, seed: int) -> CellDataset:
    """``dataset`` with the labels (and expression values) of its training genes shuffled among
    them, and those of its validation genes among them, by ``seed``; test genes keep theirs."""
    rng = np.random.default_rng(seed)
    order = np.arange(dataset.n_genes)
    for split in ("train", "valid"):
        genes = np.flatnonzero(dataset.mask(split))
        order[genes] = genes[rng.permutation(len(genes))]
    return replace(dataset, labels=dataset.labels[order], expression=dataset.expression[order])


def train_control(dataset: CellDataset, settings: TrainingSettings) -> Checkpoint:
    """A model trained on ``dataset`` with ``settings`` (in a folder removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="chromexpr-control-") as folder:
        train_cell(dataset, settings, Path(folder))
        return load_checkpoint(Path(folder) / "model.pt")


def training_settings(trained: Checkpoint, **changes) -> TrainingSettings:
    """The settings ``trained`` was trained with (its bundle records them), on the CPU, with
    ``changes``."""
    recorded = dict(trained.bundle["training"]["settings"])
    return replace(TrainingSettings(**recorded), device="cpu", **changes)


def most_predictive_mark(
    dataset: CellDataset, settings: TrainingSettings
) -> tuple[str, Checkpoint]:
    """The mark whose bins alone give a logistic regression its highest validation AUC, and
    that model (a ``Checkpoint`` trained with the other marks zeroed)."""
    marks = [str(mark) for mark in dataset.marks]
    best = None
    for mark in marks:
        others = [other for other in marks if other != mark]
        model = train_control(without_marks(dataset, others), settings)
        score = model.bundle["metrics"]["valid_auc"]
        logger.info(f"logistic regression on {mark} alone: validation AUC {score:.3f}")
        if best is None or score > best[0]:
            best = (score, mark, model)
    return best[1], best[2]


def control_models(
    trained: Checkpoint, dataset: CellDataset, ablate: Sequence[str], seed: int
) -> list[ControlModel]:
    """Every control model of ``trained`` on ``dataset``: the randomisation cascade, a model
    without each mark of ``ablate``, one trained on permuted labels (``seed`` draws the
    weights and the permutation), and a logistic regression on the most predictive mark."""
    marks = [str(mark) for mark in dataset.marks]
    recipe = training_settings(trained)
    cascade = randomised_cascade(trained, seed)
    models = [
        ControlModel(
            "model_randomisation",
            f"top {count} of {len(cascade)} layers re-initialised",
            model,
            judged=count == len(cascade),
        )
        for count, model in cascade
    ]
    for mark in ablate:
        ablated = train_control(without_marks(dataset, [mark]), recipe)
        hidden = MarksHidden(ablated.model, [marks.index(mark)])
        models.append(ControlModel("mark_ablation", f"trained without {mark}", hidden, mark))
    permuted = train_control(with_permuted_labels(dataset, seed), recipe)
    models.append(ControlModel("label_permutation", "trained on permuted labels", permuted.model))
    logistic = training_settings(trained, model="logistic", model_params={})
    mark, alone = most_predictive_mark(dataset, logistic)
    hidden = [index for index, other in enumerate(marks) if other != mark]
    models.append(
        ControlModel(
            "single_mark",
            f"logistic regression on {mark} alone",
            MarksHidden(alone.model, hidden),
            mark,
        )
    )
    return models
