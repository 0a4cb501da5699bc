"""Split and seed keys the schema cannot relate; chromexpr.splits checks the split against the
genes when the split is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import training_seeds
from chromexpr.errors import ConfigError
from chromexpr.splits import check_split_keys


def check_split(config: Mapping[str, Any]) -> None:
    """The split keys hold together (chromexpr.splits.check_split_keys); a method other than
    published has gene positions, which only source raw gives."""
    split = config["split"]
    check_split_keys(split)
    if split["method"] != "published" and config["source"] != "raw":
        raise ConfigError(
            "split.method",
            f"{split['method']} needs gene positions, which source {config['source']} does not "
            "give; use published",
        )


def check_seeds(config: Mapping[str, Any]) -> None:
    """training.seed is among training.seeds; more than one fold needs a seed (run folders are
    named after it)."""
    training = config["training"]
    if "seeds" in training and training.get("seed", training["seeds"][0]) not in training["seeds"]:
        raise ConfigError(
            "training.seed",
            f"{training['seed']} is not among training.seeds {training['seeds']}; seeds decides "
            "(seed names the one-seed case)",
        )
    if None in training_seeds(config) and config["split"]["folds"] > 1:
        raise ConfigError(
            "training.seed",
            "with more than one fold, set training.seed or training.seeds (each run's folder "
            "is named after its seed)",
        )
