"""Cross-cell experiments: they transfer the trained classifiers of one gene's marks x bins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import tasks
from chromexpr.errors import ConfigError
from chromexpr.models import models_with


def check_crosscell(config: Mapping[str, Any]) -> None:
    """With crosscell on: classifiers are trained, its models are among them, and models that
    read neighbouring genes run pairwise only."""
    crosscell, models = config["crosscell"], config["models"]
    if not crosscell["enabled"]:
        return
    if "classification" not in tasks(config):
        raise ConfigError(
            "crosscell.enabled",
            "cross-cell experiments transfer classifiers; set task to classification or "
            "both, or disable crosscell",
        )
    unknown = [model for model in crosscell["models"] if model not in models]
    if unknown:
        raise ConfigError("crosscell.models", f"{unknown} not among the trained models {models}")
    pooling = set(crosscell["experiments"]) - {"pairwise"}
    neighbour_models = [m for m in crosscell["models"] if m in models_with("reads_neighbours")]
    if pooling and neighbour_models:
        raise ConfigError(
            "crosscell.models",
            f"{neighbour_models} read neighbouring genes, which pooled cells do not define; use "
            f"them with experiments [pairwise] only (not {sorted(pooling)})",
        )
