"""The GAN's settings: the ``interpret.gan`` config mapping, checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chromexpr.errors import ConfigError


@dataclass(frozen=True)
class GanSettings:
    """The ``interpret.gan`` config mapping."""

    epochs: int = 200
    latent_size: int = 32
    batch_size: int = 64
    learning_rate: float = 2e-4
    channels: int = 16
    seed: int = 1
    samples_per_class: int = 500

    def __post_init__(self) -> None:
        for name in ("epochs", "latent_size", "batch_size", "channels", "samples_per_class"):
            if getattr(self, name) < 1:
                raise ConfigError(f"interpret.gan.{name}", "must be >= 1")
        if self.learning_rate <= 0:
            raise ConfigError("interpret.gan.learning_rate", "must be > 0")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> GanSettings:
        """Settings from ``interpret.gan`` (its ``classifier`` key names a model, not a setting)."""
        values = {key: value for key, value in values.items() if key != "classifier"}
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"interpret.gan.{sorted(unknown)[0]}", "unknown key")
        return cls(**values)
