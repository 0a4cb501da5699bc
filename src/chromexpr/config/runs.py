"""The files of the training runs and the bundles the later stages read, as the config lays
them out: per (model, cell), per extra (fold, seed), per cross-cell normalisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import (
    TASK_FOLDERS,
    differential_pairs,
    differential_window_differs,
    extra_runs,
    folds,
)
from chromexpr.differential.registry import DEEPDIFF, DIFFERENCE


def trained_metrics(
    config: Mapping[str, Any], cells: list[str], task: str, name: str = "metrics.json"
) -> list[str]:
    """metrics.json (or ``name``) of the primary run of every (model, cell) of ``task``."""
    folder = TASK_FOLDERS[task]
    return [
        f"results/{folder}/{model}/{cell}/{name}" for model in config["models"] for cell in cells
    ]


def run_metrics(
    config: Mapping[str, Any], cells: list[str], task: str, name: str = "metrics.json"
) -> list[str]:
    """metrics.json (or ``name``) of every (model, cell, fold, seed): the primary runs' first,
    then the others' under fold-{fold}/seed-{seed}/."""
    folder = TASK_FOLDERS[task]
    return trained_metrics(config, cells, task, name) + [
        f"results/{folder}/{model}/{cell}/fold-{fold}/seed-{seed}/{name}"
        for model in config["models"]
        for cell in cells
        for fold, seed in extra_runs(config)
    ]


def split_tables(config: Mapping[str, Any]) -> list[str]:
    """The split table of every fold: fold 0's (the one the datasets carry) at
    results/splits/split.tsv, each other fold's at results/splits/fold-{fold}.tsv."""
    return ["results/splits/split.tsv"] + [
        f"results/splits/fold-{fold}.tsv" for fold in folds(config)[1:]
    ]


def per_cell_bundle(config: Mapping[str, Any], model: str, cell: str) -> str:
    """A per-cell classifier of raw counts: trained here, or fetched from pretrained."""
    if config["pretrained"]:
        return f"resources/pretrained/{model}-{cell}.pt"
    return f"results/models/{model}/{cell}/model.pt"


def crosscell_bundles(
    config: Mapping[str, Any], cells: list[str], model: str, normalisation: str
) -> list[str]:
    """Per-cell classifiers for transfer: the plain ones, or ones trained on normalised inputs."""
    if normalisation == "none":
        return [per_cell_bundle(config, model, cell) for cell in cells]
    return [f"results/crosscell/models/{normalisation}/{model}/{cell}/model.pt" for cell in cells]


def crosscell_results(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The result of each cross-cell experiment per (model, normalisation)."""
    crosscell = config["crosscell"]
    experiments = crosscell["experiments"]
    results = []
    for model in crosscell["models"]:
        for normalisation in crosscell["normalisations"]:
            folder = f"results/crosscell/{model}/{normalisation}"
            if "pairwise" in experiments:
                results.append(f"{folder}/pairwise.tsv")
            if "pooled" in experiments:
                results.append(f"{folder}/pooled/transfer.tsv")
            if "leave_one_out" in experiments:
                results += [f"{folder}/leave_one_out/{cell}/transfer.json" for cell in cells]
    return results


def claims_crosscell(config: Mapping[str, Any]) -> list[str]:
    """The pairwise transfer tests (per model and normalisation) where pairwise transfer runs:
    the claims table tests transfer with them."""
    crosscell = config["crosscell"]
    if not (crosscell["enabled"] and "pairwise" in crosscell["experiments"]):
        return []
    return [
        f"results/crosscell/{model}/{normalisation}/transfer_tests.tsv"
        for model in crosscell["models"]
        for normalisation in crosscell["normalisations"]
    ]


def prediction_bundles(
    config: Mapping[str, Any], cells: list[str], model: str, sample: str
) -> list[str]:
    """The bundles of ``model`` that predict the target ``sample`` (predict.source)."""
    predict = config["predict"]
    normalisation, source = predict["normalisation"], predict["source"]
    if source == "pooled":
        return [f"results/crosscell/{model}/{normalisation}/pooled/model.pt"]
    # The ensemble never holds the target's own model: its expression stays unseen.
    sources = source if isinstance(source, list) else [c for c in cells if c != sample]
    if normalisation == "none" and predict["task"] == "classification":
        return [per_cell_bundle(config, model, cell) for cell in sources]
    if normalisation == "none":
        return [f"results/regression/{model}/{cell}/model.pt" for cell in sources]
    return [f"results/crosscell/models/{normalisation}/{model}/{cell}/model.pt" for cell in sources]


def differential_runs(config: Mapping[str, Any], cells: list[str], name: str) -> list[str]:
    """The file ``name`` of every (pair, differential model): results/differential/{A}/{B}/{model}/."""
    return [
        f"results/differential/{a}/{b}/{model}/{name}"
        for a, b in differential_pairs(config, cells)
        for model in config["differential"]["models"]
    ]


def differential_dataset(config: Mapping[str, Any], cell: str) -> str:
    """A cell's dataset in the differential window: its own count where the window differs."""
    if differential_window_differs(config):
        return f"results/differential/window/datasets/{cell}.npz"
    return f"results/datasets/{cell}.npz"


def claims_differential(config: Mapping[str, Any]) -> list[str]:
    """The differential table where DeepDiff and the difference baseline run: the claims table
    tests DeepDiff's claim."""
    differential = config["differential"]
    if differential["enabled"] and {DEEPDIFF, DIFFERENCE} <= set(differential["models"]):
        return ["results/tables/differential.tsv"]
    return []
