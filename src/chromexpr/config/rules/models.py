"""Model names: every one a config key names is registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.errors import ConfigError
from chromexpr.models import MODELS


def check_model_names(config: Mapping[str, Any]) -> None:
    """Every model a config key names is registered (chromexpr.models.MODELS)."""
    named = [
        ("models", config["models"]),
        ("model_params", list(config["model_params"])),
        ("crosscell.models", config["crosscell"]["models"]),
        ("interpret.models", config["interpret"]["models"]),
        ("interpret.gan.classifier", [config["interpret"]["gan"]["classifier"]]),
        ("predict.models", config["predict"]["models"]),
    ]
    for key, names in named:
        unknown = [name for name in names if name not in MODELS]
        if unknown:
            raise ConfigError(key, f"unknown model(s) {unknown}; known: {sorted(MODELS)}")
