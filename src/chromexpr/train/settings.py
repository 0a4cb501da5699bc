"""What a training run is: recipes, config overrides and their validation, in one place.

Recipes (``training.recipe`` in the config; ``epochs``, ``batch_size``, ``learning_rate``,
``patience``, ``input_transform``, ``seed`` and ``device`` may override a recipe's value):

=============  ======  =====  ============================  ========  ========  =====  ====
recipe         epochs  batch  optimiser                     lr decay  patience  input  seed
=============  ======  =====  ============================  ========  ========  =====  ====
``published``  100     1      SGD lr 1e-3, no momentum      1e-7      none      raw    1
``fast``       30      64     Adam lr 3e-4                  none      10        raw    1
=============  ======  =====  ============================  ========  ========  =====  ====

``DEFAULT_RECIPE`` (``fast``) is the one default: the config schema, the CLI and the workflow
use it (a test checks the schema's). The table's ``published`` row is DeepChrome's; every other
model's class states, in ``PUBLISHED_RECIPE``, the values its own paper used instead
(AttentiveChrome: Adam 2e-4, batch 16, 30 epochs, gradient clipping 1), and ``published`` means
the model's own recipe. ``fast`` is the same for every model, except that a model whose paper
clips gradients keeps its ``grad_clip``, and a model whose class states ``FAST_RECIPE`` takes
those values instead of the shared ones where they do not let it converge
(``chromexpr.train.convergence``): the 12-parameter linear model moves its weights too slowly at
Adam 3e-4 (best epoch 30 of 30, test AUC 0.57-0.61 on the demo, where the same function fitted
to convergence reaches 0.79-0.83), so it trains at Adam 1e-2 for up to 200 epochs and stops
early after 37-64 of them.

DeepChrome's recipe is Singh et al. 2016's: plain SGD with Torch7 ``optim.sgd``'s
learning-rate decay (lr_t = lr / (1 + t * decay) after t steps, a ``LambdaLR`` here), no weight
decay, the training genes shuffled every epoch, the epoch with the best validation AUC kept.
``fast`` keeps the model, the raw input and that model selection, and changes only the
optimisation: Adam is insensitive to the scale of raw counts, where SGD with momentum would need
a learning rate tuned to it, and 3e-4 rises to its best validation AUC over 10-20 epochs rather
than peaking after a handful, so the selected epoch depends less on validation noise. Measured
on synthetic REMC-like cells (``benchmarks/training.py --compare-auc --genes N --data-seed S``,
CPU, 1 thread):

=====================================  ==========================  ==========================
training / valid / test genes          ``published`` test AUC, s   ``fast`` test AUC, s
=====================================  ==========================  ==========================
1000 / 500 / 500, data seeds 0 1 2      0.864 0.839 0.849 (64 s)    0.866 0.844 0.847 (5 s)
6601 / 3300 / 3300                     0.873 (379 s)               0.873 (18 s)
=====================================  ==========================  ==========================

Measured cost of the DeepChrome CNN, 6601 training + 6601 validation genes
(``benchmarks/training.py``, this 2-core AMD EPYC VM, torch 2.13 CPU):

=============  ==================  ==================  ===================  =================
recipe         s/epoch, 2 threads  s/epoch, 1 thread   per cell, 2 threads  56 cells
=============  ==================  ==================  ===================  =================
``published``  3.4-3.9 + 0.1       3.7-3.9 + 0.2       6-6.6 min (100 ep.)  5.5-6.2 h
``fast``       0.6-0.75 + 0.1      1.0 + 0.2           21-26 s (<= 30 ep.)  20-24 min
=============  ==================  ==================  ===================  =================

(training + validation scoring; the published epoch extrapolated from 500 timed steps of batch 1,
about 0.55 ms a step.) A batch-1 step is too small to share between threads: a second thread buys
nothing, and on a busy machine a descheduled thread stalls the other, which made whole published
runs 10-20 times slower here. Give a training job one thread.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from chromexpr.errors import ConfigError
from chromexpr.models import model_class
from chromexpr.train.inputs import INPUT_TRANSFORMS
from chromexpr.train.tasks import TASKS

DEFAULT_RECIPE = "fast"
RECIPES: dict[str, dict[str, Any]] = {
    "published": {
        "epochs": 100,
        "batch_size": 1,
        "optimizer": "sgd",
        "learning_rate": 1e-3,
        "lr_decay": 1e-7,
        "momentum": 0.0,
        "weight_decay": 0.0,
        "patience": None,
        "input_transform": "raw",
        "seed": 1,
        "device": "auto",
        "grad_clip": None,
    },
    "fast": {
        "epochs": 30,
        "batch_size": 64,
        "optimizer": "adam",
        "learning_rate": 3e-4,
        "lr_decay": 0.0,
        "momentum": 0.0,
        "weight_decay": 0.0,
        "patience": 10,
        "input_transform": "raw",
        "seed": 1,
        "device": "auto",
        "grad_clip": None,
    },
}
# The config keys that override a recipe value; the optimiser itself is fixed by the recipe.
OVERRIDABLE = (
    "epochs",
    "batch_size",
    "learning_rate",
    "patience",
    "input_transform",
    "seed",
    "device",
    "grad_clip",
)
# Keys of the config's ``training:`` that choose how the workflow runs the training, not what is
# trained: ``from_config`` accepts and ignores them (``side_by_side``: see
# ``chromexpr.train.stacked``; ``seeds``: the workflow repeats each run, one ``seed`` each;
# ``checkpoint_every``: see ``checkpoint_every``), and they are not part of ``config_hash``.
WORKFLOW_KEYS = ("side_by_side", "side_by_side_group_size", "seeds", "checkpoint_every")
# Epochs between two saves of an unfinished job's state (``chromexpr.train.resume``).
CHECKPOINT_EVERY = 10
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that determines a training run (with the dataset); hashed into ``config_hash``."""

    model: str
    recipe: str
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    lr_decay: float
    momentum: float
    weight_decay: float
    patience: int | None
    input_transform: str
    seed: int
    device: str
    grad_clip: float | None = None
    task: str = "classification"
    model_params: dict[str, Any] = field(default_factory=dict)

    # The registry the model name is looked up in, and the tasks it may be trained for: a
    # differential model (chromexpr.differential.settings) has its own of both.
    model_class: ClassVar[Callable[[str], type]] = staticmethod(model_class)
    task_names: ClassVar[tuple[str, ...]] = tuple(TASKS)

    def __post_init__(self) -> None:
        self.model_class(self.model)
        for name in ("epochs", "batch_size"):
            _require(
                name, _is_int(getattr(self, name)) and getattr(self, name) >= 1, "an integer >= 1"
            )
        _require("seed", _is_int(self.seed), "an integer")
        _require(
            "patience",
            self.patience is None or (_is_int(self.patience) and self.patience >= 1),
            "null (no early stopping) or an integer >= 1",
        )
        _require("learning_rate", _is_number(self.learning_rate) and self.learning_rate > 0, "> 0")
        for name in ("lr_decay", "momentum", "weight_decay"):
            _require(name, _is_number(getattr(self, name)) and getattr(self, name) >= 0, ">= 0")
        _require(
            "grad_clip",
            self.grad_clip is None or (_is_number(self.grad_clip) and self.grad_clip > 0),
            "null (no clipping) or a number > 0",
        )
        _require("optimizer", self.optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}")
        _require(
            "input_transform",
            self.input_transform in INPUT_TRANSFORMS,
            f"one of {INPUT_TRANSFORMS}",
        )
        _require("device", self.device in DEVICES, f"one of {DEVICES}")
        if self.task not in self.task_names:
            raise ConfigError("task", f"must be one of {self.task_names}, not {self.task!r}")

    @classmethod
    def from_config(
        cls,
        model: str,
        training: Mapping[str, Any],
        model_params: Mapping[str, Any] | None = None,
        task: str = "classification",
    ) -> TrainingSettings:
        """Settings of ``model`` from the config's ``training:`` mapping (a recipe plus overrides).

        ``model_params`` are the model's constructor hyperparameters (published values by default).
        """
        unknown = set(training) - {"recipe", *OVERRIDABLE, *WORKFLOW_KEYS}
        if unknown:
            key = sorted(unknown)[0]
            raise ConfigError(f"training.{key}", f"unknown key; known: {['recipe', *OVERRIDABLE]}")
        recipe = training.get("recipe", DEFAULT_RECIPE)
        if recipe not in RECIPES:
            raise ConfigError(
                "training.recipe", f"unknown recipe {recipe!r}; known: {sorted(RECIPES)}"
            )
        model_type = cls.model_class(model)
        own = getattr(model_type, "PUBLISHED_RECIPE", {})
        model_recipe = (
            own
            if recipe == "published"
            else {"grad_clip": own.get("grad_clip"), **getattr(model_type, "FAST_RECIPE", {})}
        )
        values = {
            **RECIPES[recipe],
            **model_recipe,
            **{key: training[key] for key in OVERRIDABLE if key in training},
        }
        return cls(
            model=model, recipe=recipe, task=task, model_params=dict(model_params or {}), **values
        )

    def config_hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the settings as sorted JSON."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def checkpoint_every(training: Mapping[str, Any]) -> int:
    """Epochs between two saves of ``last.pt`` (``training.checkpoint_every``, default
    ``CHECKPOINT_EVERY``), from which an interrupted job resumes. How a job runs, not what it
    trains: the results do not depend on it, so it is not one of the ``TrainingSettings``."""
    value = training.get("checkpoint_every", CHECKPOINT_EVERY)
    _require("checkpoint_every", _is_int(value) and value >= 1, "an integer >= 1")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _require(name: str, ok: bool, expected: str) -> None:
    if not ok:
        raise ConfigError(f"training.{name}", f"must be {expected}")
