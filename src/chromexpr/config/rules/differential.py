"""Differential expression between cell types: its pairs, models and window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import differential_window_differs
from chromexpr.config.sample_table import SampleTable
from chromexpr.differential.registry import DIFFERENCE, check_differential_model
from chromexpr.errors import ConfigError
from chromexpr.models import models_with


def check_differential(config: Mapping[str, Any], samples: SampleTable) -> None:
    """With differential on: pairs of two different cells (each pair once, in one order), known
    models, a difference baseline of a trained per-cell model of one gene, and a window the
    counting rules can produce."""
    differential = config["differential"]
    if not differential["enabled"]:
        return
    if config["pretrained"]:
        raise ConfigError(
            "differential.enabled",
            "with pretrained classifiers this run trains nothing; the differential models are "
            "trained here: run them without pretrained",
        )
    check_pairs(differential["pairs"], samples.cells)
    for model in differential["models"]:
        check_differential_model(model)
    unknown = sorted(set(differential["model_params"]) - set(differential["models"]))
    if unknown:
        raise ConfigError(
            "differential.model_params",
            f"{unknown} not among differential.models {differential['models']}",
        )
    if DIFFERENCE in differential["models"]:
        check_single_cell_model(config)
    if config["source"] == "processed" and differential_window_differs(config):
        raise ConfigError(
            "differential.window",
            "the processed layout holds the per-cell bins only, with no reads to count another "
            "window from: set differential.window to task",
        )


def check_pairs(pairs: str | list[list[str]], cells: list[str]) -> None:
    """``all`` needs two cells; a listed pair names two different cells, and no pair comes
    twice (in either order)."""
    if pairs == "all":
        if len(cells) < 2:
            raise ConfigError("differential.pairs", f"all needs two or more cells; cells: {cells}")
        return
    seen: set[frozenset[str]] = set()
    for number, (a, b) in enumerate(pairs, start=1):
        pair = f"pair {number} [{a}, {b}]"
        unknown = [cell for cell in (a, b) if cell not in cells]
        if unknown:
            raise ConfigError(
                "differential.pairs", f"{pair}: {unknown} not among the cells {cells}"
            )
        if a == b:
            raise ConfigError("differential.pairs", f"{pair}: a cell with itself has no difference")
        if frozenset((a, b)) in seen:
            raise ConfigError("differential.pairs", f"{pair} is listed twice (in either order)")
        seen.add(frozenset((a, b)))


def check_single_cell_model(config: Mapping[str, Any]) -> None:
    """The difference baseline takes the per-cell regression models of single_cell_model: it
    must be among the trained models and read one gene."""
    model = config["differential"]["single_cell_model"]
    key = "differential.single_cell_model"
    if model not in config["models"]:
        raise ConfigError(
            key,
            f"{model} is not among the trained models {config['models']}; the difference "
            "baseline takes its per-cell regression models",
        )
    if model in models_with("reads_neighbours"):
        raise ConfigError(key, f"{model} reads neighbouring genes; choose a model of one gene")
