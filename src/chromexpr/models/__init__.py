"""The model registry: config names (``models:`` in the config) mapped to model classes.

Every model takes ``n_marks``, ``n_bins`` and ``n_outputs`` plus its own keyword hyperparameters
(published values as defaults), reads counts [batch, marks, bins] and returns [batch, n_outputs]:
two logits (low, high) or one (the logit of high, or a regression output). Its published default
``n_outputs`` is 2 for the DeepChrome family, 1 for Zhu et al.'s and AttentiveChrome. A model whose
published training differs from DeepChrome's says how in its class attribute ``PUBLISHED_RECIPE``;
``fit_input_statistics(counts)`` (optional) fixes statistics of the training split before training,
and ``attention(counts)`` (optional) returns attention weights. Registering a model is one line in
``MODELS``.
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
    accepted = set(inspect.signature(cls).parameters) - {"n_marks", "n_bins"}
    unknown = set(hyperparameters) - accepted
    if unknown:
        raise ConfigError(
            f"models.{name}",
            f"unknown hyperparameter(s) {sorted(unknown)}; {name} accepts {sorted(accepted)}",
        )
    return cls(n_marks=n_marks, n_bins=n_bins, **hyperparameters)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (weights and biases) of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())
