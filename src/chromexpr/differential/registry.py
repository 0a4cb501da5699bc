"""The differential models by config name (``differential.models``), read without torch.

=======================  ===========================================================================
name                     what predicts the log2 fold change of a gene between cells A and B
=======================  ===========================================================================
``deepdiff``             DeepDiff (``chromexpr.models.deepdiff``): both cells' marks x bins, with
                         its auxiliary per-cell tasks and attention over bins and marks
``difference``           the difference of two single-cell regression models' predictions (the
                         run's ``differential.single_cell_model`` on A and on B, trained by the
                         per-cell rules): (prediction on B - prediction on A) / ln 2; nothing is
                         trained for the pair
``mark_gbdt``            gradient-boosted trees (the zoo's ``gbdt``) on the per-bin differences
                         of log(1 + count), B minus A, of every mark
``mark_linear``          a ridge regression (the zoo's ``logistic`` in its regression form) on
                         each mark's mean difference of log(1 + count), B minus A
``stacked_{model}``      a zoo model of one gene's [marks, bins] trained on the pair's stacked
                         input [2 x marks, bins] (A's marks, then B's), with one output
=======================  ===========================================================================

Every zoo model that reads one gene's marks x bins can be stacked; those that read neighbouring
genes (``reads_neighbours``) cannot: their pretrained autoencoder and neighbour lookup are of one
cell's genes, not of a pair (``stackable_models``).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

from chromexpr.errors import ConfigError
from chromexpr.models import MODELS, capabilities, models_with

DEEPDIFF = "deepdiff"
DIFFERENCE = "difference"
MARK_GBDT = "mark_gbdt"
MARK_LINEAR = "mark_linear"
STACKED_PREFIX = "stacked_"
BUILT_IN = (DEEPDIFF, DIFFERENCE, MARK_GBDT, MARK_LINEAR)
DEEPDIFF_CLASS = "chromexpr.models.deepdiff:DeepDiff"
# The zoo model each mark-difference baseline is, and its hyperparameters unless configured.
MARK_MODELS = {MARK_GBDT: ("gbdt", {}), MARK_LINEAR: ("logistic", {"summaries": ["mean"]})}


def stackable_models() -> list[str]:
    """The zoo models that can be trained on a pair's stacked input."""
    return [name for name in MODELS if name not in models_with("reads_neighbours")]


def differential_models() -> list[str]:
    """Every name ``differential.models`` accepts."""
    return [*BUILT_IN, *(f"{STACKED_PREFIX}{name}" for name in stackable_models())]


def check_differential_model(name: str, key: str = "differential.models") -> None:
    """ConfigError naming ``key`` unless ``name`` is a differential model."""
    if name not in differential_models():
        raise ConfigError(
            key, f"unknown differential model {name!r}; known: {differential_models()}"
        )


def zoo_model(name: str) -> str | None:
    """The zoo model a differential model is built on (``stacked_deepchrome``: ``deepchrome``;
    ``mark_gbdt``: ``gbdt``); None for DeepDiff and the difference of single-cell models."""
    if name.startswith(STACKED_PREFIX):
        return name.removeprefix(STACKED_PREFIX)
    return MARK_MODELS[name][0] if name in MARK_MODELS else None


def has_attention(name: str) -> bool:
    """Whether the model has attention over bins and marks to summarise (DeepDiff, and stacked
    zoo models with attention)."""
    check_differential_model(name)
    if name == DEEPDIFF:
        return True
    return name.startswith(STACKED_PREFIX) and capabilities(zoo_model(name)).has_attention


def attributable(name: str) -> bool:
    """Whether attributions of the predicted change are computed for the model: one trained
    for the pair whose output has a gradient with respect to its input (not trees, not the
    difference of two single-cell models, which is not trained for the pair)."""
    check_differential_model(name)
    if name == DIFFERENCE:
        return False
    zoo = zoo_model(name)
    return zoo is None or not capabilities(zoo).lacks_input_gradients


def fits_without_gradients(name: str) -> bool:
    """Whether the model is fitted in one go, outside the gradient loop."""
    zoo = zoo_model(name)
    return zoo is not None and capabilities(zoo).fits_without_gradients


@functools.cache
def published_window() -> dict[str, int]:
    """DeepDiff's window, ``{"bins": ..., "bin_size": ...}`` (its class's ``PUBLISHED_WINDOW``),
    read from its source file without importing torch."""
    module, class_name = DEEPDIFF_CLASS.split(":")
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    (node,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PUBLISHED_WINDOW"
            for target in statement.targets
        ):
            return ast.literal_eval(statement.value)
    raise LookupError(f"{DEEPDIFF_CLASS} states no PUBLISHED_WINDOW")
