"""The training harness every model shares: one cell type's dataset in; checkpoint and metrics out.

Rooms, each small and named after what it holds:

=======================  ======================================================================
module                   what it holds
=======================  ======================================================================
``settings``             recipes and their one default, config overrides, validation
``tasks``                classification and regression: targets, loss, scores, selection, columns
``inputs``               a model's input (transform, neighbours) and targets per split
``runtime``              device, seeding, deterministic kernels, out-of-memory advice
``gpus``                 one free GPU per job on a machine with several (a lock per device)
``prepare``              a seeded, built, pretrained model ready to train (``Run``)
``fit``                  the one epoch loop and its callbacks (best state, progress, early stop)
``resume``               ``last.pt``: an unfinished job's state, saved every N epochs, resumed
``single``               one model: ``torch.optim`` + ``LambdaLR``; ``train_cell``
``stacked``              K models side by side; ``train_side_by_side``
``stacked_optimizer``    SGD / Adam over K stacked models
``stacked_forward``      forwards of K stacked models (grouped convolutions, batched LSTMs)
``outputs``              scores on every split and the run folder's files
``checkpoint``           the self-describing model bundle: ``save_checkpoint``, ``load_checkpoint``
=======================  ======================================================================
"""

from chromexpr.train.checkpoint import Checkpoint, load_checkpoint
from chromexpr.train.settings import (
    DEFAULT_RECIPE,
    OVERRIDABLE,
    RECIPES,
    TrainingSettings,
    checkpoint_every,
)
from chromexpr.train.single import train_cell
from chromexpr.train.stacked import train_side_by_side
from chromexpr.train.tasks import TASKS

__all__ = [
    "DEFAULT_RECIPE",
    "OVERRIDABLE",
    "RECIPES",
    "TASKS",
    "Checkpoint",
    "TrainingSettings",
    "checkpoint_every",
    "load_checkpoint",
    "train_cell",
    "train_side_by_side",
]
