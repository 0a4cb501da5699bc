"""Model names: every one a config key names is registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.models import check_model_name


def check_model_names(config: Mapping[str, Any]) -> None:
    """Every model a config key names is registered (chromexpr.models.check_model_name)."""
    named = [
        ("models", config["models"]),
        ("model_params", list(config["model_params"])),
        ("crosscell.models", config["crosscell"]["models"]),
        ("interpret.models", config["interpret"]["models"]),
        ("interpret.gan.classifier", [config["interpret"]["gan"]["classifier"]]),
        ("predict.models", config["predict"]["models"]),
    ]
    for key, names in named:
        for name in names:
            check_model_name(name, key)
