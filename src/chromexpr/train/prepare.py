"""A run ready to train: the seeded model, its input and targets, fitted statistics, pretraining.

Both engines prepare their models here, in the same order of random draws, so that a model
trained side by side starts from the weights it would have alone.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from chromexpr.dataset import CellDataset
from chromexpr.models import build_model, capabilities
from chromexpr.train.fit import Run, default_callbacks
from chromexpr.train.inputs import SplitData, model_inputs
from chromexpr.train.runtime import seed_everything
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.tasks import TASKS

logger = logging.getLogger(__name__)


def build_task_model(settings: TrainingSettings, n_marks: int, n_bins: int) -> nn.Module:
    """``settings.model`` with its hyperparameters and the output count its task needs."""
    task = TASKS[settings.task]
    return build_model(settings.model, n_marks, n_bins, **task.n_outputs(settings.model_params))


def prepare_run(dataset: CellDataset, settings: TrainingSettings, device: torch.device) -> Run:
    """Seed, build the model on ``device``, split its input, fit its statistics and pretrain it
    on the training genes (models that say they do), with the default callbacks."""
    task = TASKS[settings.task]
    task.check(dataset)
    name = f"{settings.model} on cell {dataset.cell}"
    seed_everything(settings.seed)
    _, n_marks, n_bins = dataset.counts.shape
    model = build_task_model(settings, n_marks, n_bins).to(device)
    inputs = model_inputs(settings.model, model, dataset, settings.input_transform)
    data = SplitData.of(inputs, dataset, task, device)
    stated = capabilities(settings.model)
    if stated.fits_input_statistics:
        model.fit_input_statistics(data.features["train"])
    if stated.pretrains:
        logger.info("%s: pretraining", name)
        model.pretrain(data.features["train"])
    return Run(name, settings, task, model, data, callbacks=default_callbacks(settings))
