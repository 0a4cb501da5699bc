"""Interpretation keys that must name configured models and cells."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.sample_table import SampleTable
from chromexpr.errors import ConfigError
from chromexpr.models import models_with


def check_interpret(config: Mapping[str, Any], samples: SampleTable) -> None:
    """With interpret on: its models are trained models of one gene's marks x bins (with input
    gradients for optimisation), its cells are cells, the marks its controls ablate are marks,
    the GAN's classifier is such a model."""
    interpret, models = config["interpret"], config["models"]
    if not interpret["enabled"]:
        return
    ablate = interpret["controls"]["ablate"]
    for key, values, known in (
        ("interpret.models", interpret["models"], models),
        ("interpret.cells", interpret["cells"], samples.cells),
        ("interpret.controls.ablate", [] if ablate == "all" else ablate, config["marks"]),
    ):
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(key, f"{unknown} not among {known}")
    neighbour_models = models_with("reads_neighbours")
    per_gene = sorted(set(interpret["models"]) & set(neighbour_models))
    if per_gene:
        raise ConfigError(
            "interpret.models",
            f"{per_gene} read neighbouring genes; maps and attention are drawn for models of "
            "one gene's marks x bins",
        )
    without_gradients = sorted(set(interpret["models"]) & set(models_with("lacks_input_gradients")))
    if "optimisation" in interpret["methods"] and without_gradients:
        raise ConfigError(
            "interpret.models",
            f"{without_gradients} have no gradient with respect to their input (trees), which "
            "the optimisation method follows; leave them out",
        )
    classifier = interpret["gan"]["classifier"]
    if "gan" in interpret["methods"] and (
        classifier not in models or classifier in neighbour_models
    ):
        raise ConfigError(
            "interpret.gan.classifier",
            f"{classifier} must be one of the models {models} that reads one gene's marks x bins",
        )
