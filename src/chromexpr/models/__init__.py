"""The model registry: config names (``models:`` in the config) mapped to model classes.

Every model takes ``n_marks``, ``n_bins`` and ``n_outputs`` plus its own keyword hyperparameters
(published values as defaults), reads counts [batch, marks, bins] and returns [batch, n_outputs]:
two logits (low, high) or one (the logit of high, or a regression output). Its published default
``n_outputs`` is 2 for the DeepChrome family and SimpleChrome, 1 for Zhu et al.'s and
AttentiveChrome. Registering a model is one line in ``MODELS``. The harness's contract
(``chromexpr.training``) with a model class:

- ``n_outputs``: 2 (logits low/high, cross-entropy) or 1 (one logit, binary cross-entropy; or
  log(RPKM + 1) with mean squared error for the regression task, which always builds 1 output).
- ``PUBLISHED_RECIPE``: the training values of the model's paper that differ from DeepChrome's.
- ``fit_input_statistics(train_inputs)``: fixes statistics (buffers) from the training split.
- ``pretrain(train_inputs, log)``: a first training stage before the harness's loop.
- ``attention(inputs) -> {"bins": [batch, marks, bins], "marks": [batch, marks]}``.
- ``reads_neighbours``, ``neighbours``, ``neighbour_order``: input [batch, 1 + k, marks, bins].
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from chromexpr.errors import ConfigError
from chromexpr.models.attentivechrome import AttentiveChrome
from chromexpr.models.deepchrome import DeepChromeCNN
from chromexpr.models.linear import ReducedLinear
from chromexpr.models.mlp import DeepChromeMLP
from chromexpr.models.simplechrome import SimpleChrome, SimpleChromeSelf
from chromexpr.models.transformer import BinTransformer
from chromexpr.models.zhu import ZhuCNN, ZhuCRNN, ZhuRNN

MODELS: dict[str, type[nn.Module]] = {
    "deepchrome": DeepChromeCNN,
    "linear": ReducedLinear,
    "mlp": DeepChromeMLP,
    "cnn": ZhuCNN,
    "rnn": ZhuRNN,
    "crnn": ZhuCRNN,
    "attentivechrome": AttentiveChrome,
    "simplechrome": SimpleChrome,
    "simplechrome_self": SimpleChromeSelf,
    "transformer": BinTransformer,
}


def model_class(name: str) -> type[nn.Module]:
    """The class registered as ``name``; a ConfigError listing the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError("models", f"unknown model {name!r}; known: {sorted(MODELS)}") from None


def build_model(name: str, n_marks: int, n_bins: int, **hyperparameters: Any) -> nn.Module:
    """A freshly initialised model (draws from torch's global generator: seed it first)."""
    cls = model_class(name)
    accepted = hyperparameter_names(cls)
    unknown = set(hyperparameters) - accepted
    if unknown:
        raise ConfigError(
            f"models.{name}",
            f"unknown hyperparameter(s) {sorted(unknown)}; {name} accepts {sorted(accepted)}",
        )
    return cls(n_marks=n_marks, n_bins=n_bins, **hyperparameters)


def hyperparameter_names(cls: type[nn.Module]) -> set[str]:
    """The constructor's keyword hyperparameters; a ``**hyperparameters`` catch-all (a variant
    of a base model) accepts its base class's."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is nn.Module or "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names - {"self", "n_marks", "n_bins"}


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (weights and biases) of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())
