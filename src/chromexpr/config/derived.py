"""Settings the workflow derives from the config alone: tasks, folds, seeds, side-by-side
training, where counting reads from. Config only: the machine that parses the workflow may not
be the one that trains, so nothing here looks at the machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.genome.bins import window_convention_for
from chromexpr.models import models_with

SPLIT_NAMES = ["train", "valid", "test"]
# Where each task's per-(model, cell) outputs live, under results/.
TASK_FOLDERS = {"classification": "models", "regression": "regression"}
# Assemblies whose chrom sizes the workflow ships (resources/{name}.chrom.sizes).
BUNDLED_GENOMES = ("hg19", "hg38", "mm10")


def tasks(config: Mapping[str, Any]) -> list[str]:
    """The tasks trained: classification, regression or both."""
    if config["task"] == "both":
        return ["classification", "regression"]
    return [config["task"]]


def bin_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config["bins"]`` and the run's ``window_convention`` (chromexpr.genome.bins), which
    follows from the gene set and the annotation format: the bins of every job that lays them
    out."""
    convention = window_convention_for(config["gene_set"], config["annotation_format"])
    return {**config["bins"], "window_convention": convention}


def folds(config: Mapping[str, Any]) -> list[int]:
    return list(range(config["split"]["folds"]))


def training_seeds(config: Mapping[str, Any]) -> list[int | None]:
    """The seeds every (model, cell, fold) trains with: training.seeds, else the one seed of
    training.seed; the first is the primary run's. None where neither is set (the recipe's seed).
    """
    training = config["training"]
    return training.get("seeds") or [training.get("seed")]


def extra_runs(config: Mapping[str, Any]) -> list[tuple[int, int | None]]:
    """(fold, seed) of every run besides the primary one (fold 0, first seed)."""
    seeds = training_seeds(config)
    return [
        (fold, seed) for fold in folds(config) for seed in seeds if (fold, seed) != (0, seeds[0])
    ]


def side_by_side(config: Mapping[str, Any]) -> bool:
    """Whether each model trains on all cells in one job (training.side_by_side). auto decides
    from the config alone: on for the published recipe on device cuda."""
    training = config["training"]
    choice = training.get("side_by_side", "auto")
    if choice != "auto":
        return choice
    return training["recipe"] == "published" and training.get("device") == "cuda"


def side_by_side_models(config: Mapping[str, Any]) -> list[str]:
    """The configured models trained side by side (none unless side_by_side): all but those
    that read neighbouring genes (a pretrained, frozen autoencoder the side-by-side trainer does
    not stack) and those fitted outside the gradient loop (one cell per job)."""
    if not side_by_side(config):
        return []
    apart = models_with("reads_neighbours") + models_with("fits_without_gradients")
    return [model for model in config["models"] if model not in apart]


def side_by_side_groups(config: Mapping[str, Any], cells: list[str]) -> list[list[str]]:
    """The cells in groups of training.side_by_side_group_size (null: one group), config order."""
    size = config["training"].get("side_by_side_group_size") or len(cells)
    return [cells[start : start + size] for start in range(0, len(cells), size)]


def count_source_kind(config: Mapping[str, Any]) -> str:
    """What counting reads without a sheet: signal bigWigs, the tagAlign itself, or the
    sorted BAM built from it."""
    if config["input"] == "bigwig":
        return "bigwig"
    return "bam" if config["bam"] else "tagalign"


def training_gpus(config: Mapping[str, Any]) -> int:
    """GPUs a training job requests (resources.gpus_per_training_job; null: one unless
    training.device is cpu)."""
    requested = config["resources"]["gpus_per_training_job"]
    if requested is not None:
        return requested
    return int(config["training"].get("device", "auto") != "cpu")


def differential_pairs(config: Mapping[str, Any], cells: list[str]) -> list[tuple[str, str]]:
    """The (A, B) cell pairs of differential.pairs: the listed ones, or every two cells in
    config order for all."""
    pairs = config["differential"]["pairs"]
    if pairs == "all":
        return [(a, b) for index, a in enumerate(cells) for b in cells[index + 1 :]]
    return [(a, b) for a, b in pairs]


def differential_bin_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The bins of the differential datasets (``bin_settings``' keys): DeepDiff's window
    (differential.window published: its PUBLISHED_WINDOW, read without torch) in the run's
    orientation, or the per-cell task's."""
    from chromexpr.differential.registry import published_window

    settings = bin_settings(config)
    if config["differential"]["window"] == "task":
        return settings
    window = published_window()
    half_width = window["bins"] * window["bin_size"] // 2
    return {**settings, "window": half_width, "bin_size": window["bin_size"]}


def differential_window_differs(config: Mapping[str, Any]) -> bool:
    """Whether the differential datasets need their own counts (another window or bin size)."""
    own, task = differential_bin_settings(config), bin_settings(config)
    return (own["window"], own["bin_size"]) != (task["window"], task["bin_size"])


def differential_training(config: Mapping[str, Any]) -> dict[str, Any]:
    """The training config of the differential models: training's recipe and overrides (its
    primary seed) with differential.training's over them; without the keys of per-cell runs."""
    training = {
        key: value
        for key, value in config["training"].items()
        if key not in ("seeds", "side_by_side", "side_by_side_group_size")
    }
    seed = training_seeds(config)[0]
    if seed is not None:
        training["seed"] = seed
    return {**training, **config["differential"]["training"]}
