"""Prediction, and pretrained per-cell classifiers in place of training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import tasks
from chromexpr.config.sample_table import SampleTable
from chromexpr.errors import ConfigError


def check_predict(config: Mapping[str, Any], samples: SampleTable) -> None:
    """With predict on: targets are named, its models and task are trained, its source cells
    exist (an ensemble leaves out the target's own model), cross-cell bundles are configured."""
    predict, models, cells = config["predict"], config["models"], samples.cells
    if not predict["enabled"]:
        return
    if not samples.targets:
        raise ConfigError("predict.samples", "name at least one target sample")
    unknown = sorted(set(predict["models"]) - set(models))
    if unknown:
        raise ConfigError("predict.models", f"{unknown} not among {models}")
    if predict["task"] not in tasks(config):
        raise ConfigError(
            "predict.task",
            f"{predict['task']} models are not trained (task: {config['task']})",
        )
    source = predict["source"]
    if isinstance(source, list):
        unknown = sorted(set(source) - set(cells))
        if unknown:
            raise ConfigError("predict.source", f"{unknown} not among {cells}")
    elif source == "ensemble":
        alone = [s for s in samples.targets if not set(cells) - {s}]
        if alone:
            raise ConfigError(
                "predict.source",
                f"the ensemble for {alone} leaves out their own model, and no other cell's is left",
            )
    if source == "pooled" or predict["normalisation"] != "none":
        check_crosscell_source(config)


def check_crosscell_source(config: Mapping[str, Any]) -> None:
    """The pooled or normalised bundles come from the cross-cell rules: they must be configured."""
    predict, crosscell = config["predict"], config["crosscell"]
    key = "predict.source" if predict["source"] == "pooled" else "predict.normalisation"
    wanted = []
    if not crosscell["enabled"]:
        wanted.append("crosscell.enabled: true")
    if predict["source"] == "pooled" and "pooled" not in crosscell["experiments"]:
        wanted.append("pooled in crosscell.experiments")
    if predict["normalisation"] not in crosscell["normalisations"]:
        wanted.append(f"{predict['normalisation']} in crosscell.normalisations")
    missing = sorted(set(predict["models"]) - set(crosscell["models"]))
    if missing:
        wanted.append(f"{missing} in crosscell.models")
    if predict["task"] != "classification":
        wanted.append("predict.task: classification")
    if wanted:
        raise ConfigError(key, f"the cross-cell bundles it names need {'; '.join(wanted)}")


def check_pretrained(config: Mapping[str, Any]) -> None:
    """With pretrained models nothing is trained: only what per-cell classifiers of raw counts
    serve (pairwise transfer, predictions) can run."""
    if not config["pretrained"]:
        return
    crosscell, predict = config["crosscell"], config["predict"]
    wanted = []
    if config["task"] != "classification":
        wanted.append("task: classification")
    if crosscell["enabled"] and (
        crosscell["experiments"] != ["pairwise"] or crosscell["normalisations"] != ["none"]
    ):
        wanted.append("crosscell experiments [pairwise] and normalisations [none]")
    if config["interpret"]["enabled"]:
        wanted.append("interpret.enabled: false")
    if predict["enabled"] and (predict["source"] == "pooled" or predict["normalisation"] != "none"):
        wanted.append("predict.source of cells or ensemble, predict.normalisation none")
    if wanted:
        raise ConfigError(
            "pretrained",
            "the exported per-cell classifiers replace training, so the config needs "
            f"{'; '.join(wanted)}",
        )


def unused_pretrained(config: Mapping[str, Any]) -> list[str]:
    """A warning where ``pretrained`` is set but neither pairwise transfer nor predictions run:
    the bundles would be neither fetched nor used, and nothing is trained either."""
    if not config["pretrained"] or config["crosscell"]["enabled"] or config["predict"]["enabled"]:
        return []
    return [
        f"config key 'pretrained' ({config['pretrained']}) is set, but neither crosscell nor "
        "predict is enabled: its classifiers are not used and nothing is trained (only the "
        "datasets are built); enable one of them, or set pretrained: null to train"
    ]
