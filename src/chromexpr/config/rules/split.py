"""Split and seed keys the schema cannot relate; chromexpr.splits checks them against the genes
when the split is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import training_seeds
from chromexpr.errors import ConfigError


def check_split(config: Mapping[str, Any]) -> None:
    """Folds suit the split method; a method other than published has gene positions."""
    split = config["split"]
    method, folds = split["method"], split["folds"]
    if method != "blocks" and folds != 1:
        raise ConfigError("split.folds", f"the {method} split has one fold, got {folds}")
    if method == "blocks" and folds < 3:
        raise ConfigError(
            "split.folds",
            f"the blocks split needs at least 3 folds (test, valid, train), got {folds}",
        )
    if method != "published" and config["source"] != "raw":
        raise ConfigError(
            "split.method",
            f"{method} needs gene positions, which source {config['source']} does not give; "
            "use published",
        )
    if method == "chromosomes":
        for key in ("test_chromosomes", "valid_chromosomes"):
            if not split[key]:
                raise ConfigError(f"split.{key}", "the chromosomes split needs at least one")


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
