"""The model registry: config names (``models:`` in the config) mapped to model classes.

Importing this module does not import torch: the workflow reads names and capabilities at parse
time (``workflow/rules/common.smk``), and only a job that builds a model imports its file.

Every model takes ``n_marks``, ``n_bins`` and ``n_outputs`` plus its own keyword hyperparameters
(published values as defaults), reads counts [batch, marks, bins] and returns [batch, n_outputs]:
two logits (low, high) or one (the logit of high, or a regression output). Its published default
``n_outputs`` is 2 for the DeepChrome family and SimpleChrome, 1 for Zhu et al.'s and
AttentiveChrome. Registering a model is one line in ``MODELS``.

A model class states what it can do as class attributes (``Capabilities`` lists them, all False
unless the class says True); the harness (``chromexpr.train``) and the workflow read them here:

- ``has_attention``: ``attention(inputs) -> {"bins": [batch, marks, bins], "marks": [batch,
  marks]}``, the weights the interpretation rules summarise;
- ``reads_neighbours``: input [batch, 1 + k, marks, bins], the gene and its ``neighbours`` k
  nearest genes (``neighbour_order``); such models are trained one cell per job and never pooled;
- ``pretrains``: ``pretrain(train_inputs)``, a first training stage before the harness's loop
  (frozen parameters afterwards);
- ``fits_input_statistics``: ``fit_input_statistics(train_inputs)`` fixes buffers from the
  training split;
- ``fits_without_gradients``: ``fit_without_gradients(train_inputs, train_targets,
  valid_inputs, valid_targets, task_name, seed)`` fits the model once, outside the gradient loop
  (scikit-learn, LightGBM); the harness records it as one epoch, and such models are never
  trained side by side;
- ``lacks_input_gradients``: the output has no gradient with respect to the input (trees), so
  gradient-based interpretation refuses the model.

``PUBLISHED_RECIPE`` on the class holds the training values of the model's paper that differ
from DeepChrome's (``chromexpr.train.settings``); ``FAST_RECIPE`` the values of the shared
``fast`` recipe a model replaces because it does not converge with them.

Differential models (``DIFFERENTIAL_MODELS``) read two cells' counts and predict the change of
expression between them, so they do not fit the contract above: ``forward(counts_a, counts_b)``
with counts [batch, marks, bins] returns ``{"difference", "a", "b"}`` ([batch] each: the log2
fold change of B over A and each cell's log2 expression), ``loss(outputs, target_difference,
target_a, target_b)`` is the model's own training loss, and ``attention(counts_a, counts_b)``
the weights that explain the difference (``chromexpr.models.deepdiff``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chromexpr.errors import ConfigError

if TYPE_CHECKING:
    from torch import nn

# Config name -> "module:Class". A model of another package registers the same way.
MODELS: dict[str, str] = {
    "deepchrome": "chromexpr.models.deepchrome:DeepChromeCNN",
    "linear": "chromexpr.models.linear:ReducedLinear",
    "mlp": "chromexpr.models.mlp:DeepChromeMLP",
    "cnn": "chromexpr.models.zhu:ZhuCNN",
    "rnn": "chromexpr.models.zhu:ZhuRNN",
    "crnn": "chromexpr.models.zhu:ZhuCRNN",
    "attentivechrome": "chromexpr.models.attentivechrome:AttentiveChrome",
    "simplechrome": "chromexpr.models.simplechrome:SimpleChrome",
    "simplechrome_self": "chromexpr.models.simplechrome:SimpleChromeSelf",
    "transformer": "chromexpr.models.transformer:BinTransformer",
    "gbdt": "chromexpr.models.gbdt:GradientBoostedTrees",
    "logistic": "chromexpr.models.logistic:LogisticBaseline",
}

# Config name -> "module:Class" of the models of a cell pair (see the module docstring).
DIFFERENTIAL_MODELS: dict[str, str] = {
    "deepdiff": "chromexpr.models.deepdiff:DeepDiff",
}


@dataclass(frozen=True)
class Capabilities:
    """What a model class can do beyond forward (see the module docstring)."""

    has_attention: bool = False
    reads_neighbours: bool = False
    pretrains: bool = False
    fits_input_statistics: bool = False
    fits_without_gradients: bool = False
    lacks_input_gradients: bool = False


CAPABILITY_NAMES = tuple(field.name for field in fields(Capabilities))


def check_model_name(name: str, key: str = "models") -> None:
    """ConfigError naming ``key`` unless ``name`` is a registered model."""
    if name not in MODELS:
        raise ConfigError(key, f"unknown model {name!r}; known: {sorted(MODELS)}")


def capabilities(name: str) -> Capabilities:
    """The capabilities model ``name``'s class states, read from its source file without
    importing it (class-level ``name = True/False`` assignments, base classes of the same file
    included)."""
    check_model_name(name)
    return _capabilities_of(MODELS[name])


@functools.cache
def _capabilities_of(target: str) -> Capabilities:
    module, class_name = target.split(":")
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    return Capabilities(**_stated_capabilities(classes, class_name))


def _stated_capabilities(classes: dict[str, ast.ClassDef], class_name: str) -> dict[str, bool]:
    node = classes[class_name]
    stated: dict[str, bool] = {}
    for base in node.bases:  # a base of the same file first, so the class's own values win
        if isinstance(base, ast.Name) and base.id in classes:
            stated.update(_stated_capabilities(classes, base.id))
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in CAPABILITY_NAMES:
                stated[target.id] = bool(ast.literal_eval(value))
    return stated


def models_with(capability: str, names: list[str] | None = None) -> list[str]:
    """The models of ``names`` (every registered one when None) that have ``capability``."""
    if capability not in CAPABILITY_NAMES:
        raise ValueError(f"unknown capability {capability!r}; known: {CAPABILITY_NAMES}")
    return [name for name in (names or list(MODELS)) if getattr(capabilities(name), capability)]


def model_class(name: str) -> type[nn.Module]:
    """The class registered as ``name`` (imports its file); a ConfigError listing the known
    names otherwise."""
    check_model_name(name)
    return _imported(MODELS[name])


def _imported(target: str) -> type[nn.Module]:
    """The class a registry's "module:Class" names."""
    module, class_name = target.split(":")
    return getattr(importlib.import_module(module), class_name)


def differential_model_class(name: str, key: str = "differential.models") -> type[nn.Module]:
    """The differential model class registered as ``name`` (imports its file); a ConfigError
    naming ``key`` and the known names otherwise."""
    if name not in DIFFERENTIAL_MODELS:
        raise ConfigError(
            key, f"unknown differential model {name!r}; known: {sorted(DIFFERENTIAL_MODELS)}"
        )
    return _imported(DIFFERENTIAL_MODELS[name])


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
    from torch import nn

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
    """Number of scalar parameters (weights and biases) of ``model``; a model whose fitted values
    are not torch parameters (trees) counts them itself (``n_fitted_values``)."""
    if hasattr(model, "n_fitted_values"):
        return model.n_fitted_values()
    return sum(parameter.numel() for parameter in model.parameters())
