"""Judging the controls: the methods, the figures each control reads and its rule
(``chromexpr.interpret.controls``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from torch import nn

from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError
from chromexpr.interpret.attribution import (
    AttributionSettings,
    class_means,
    integrated_gradients,
    score_attributions,
)
from chromexpr.interpret.controls.models import ControlModel
from chromexpr.interpret.optimisation import OptimisationSettings, class_optimisation_maps
from chromexpr.interpret.truth import score_against_truth
from chromexpr.train import Checkpoint

logger = logging.getLogger(__name__)

CONTROLS = ("model_randomisation", "mark_ablation", "label_permutation", "single_mark")
RANDOMISATION_LIMIT = 0.5
ABLATION_LIMIT = 0.1
RECOVERY_CORRELATION = 0.8
COLUMNS = ("method", "control", "control_model", "mark", "statistic", "value", "passes", "rule")
RULES = {
    "model_randomisation": (
        f"fully randomised model: |Spearman rho| < {RANDOMISATION_LIMIT} for every mark"
    ),
    "mark_ablation": f"score ratio < {ABLATION_LIMIT} for every ablated mark",
    "label_permutation": (
        f"correlation with the reference < {RECOVERY_CORRELATION} for every positional mark"
    ),
    "single_mark": (
        f"every other mark: score ratio < {ABLATION_LIMIT} and, where positional, correlation "
        f"with the reference < {RECOVERY_CORRELATION}"
    ),
}


@dataclass(frozen=True)
class ControlSettings:
    """The ``interpret.controls`` config mapping: the marks to ablate (None: every mark),
    whether to draw the whole randomisation cascade (else only the fully randomised model), and
    the seed of the randomised weights and of the permutation."""

    ablate: tuple[str, ...] | None = None
    cascade: bool = True
    seed: int = 1

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> ControlSettings:
        ablate = values.get("ablate", "all")
        return cls(
            ablate=None if ablate == "all" else tuple(ablate),
            cascade=values.get("cascade", cls.cascade),
            seed=values.get("seed", cls.seed),
        )

    def marks_to_ablate(self, marks: Sequence[str]) -> list[str]:
        if self.ablate is None:
            return list(marks)
        unknown = sorted(set(self.ablate) - set(marks))
        if unknown:
            raise ConfigError("interpret.controls.ablate", f"{unknown} not among {list(marks)}")
        return list(self.ablate)


@dataclass(frozen=True)
class MapMethod:
    """An interpretation method: ``draw`` gives a model's map [classes, marks, bins];
    ``score`` scores a map against a reference [classes, marks, bins] (a truth table with
    ``mark``, ``positional`` and ``correlation`` columns)."""

    name: str
    draw: Callable[[nn.Module], np.ndarray]
    score: Callable[[np.ndarray, np.ndarray, Sequence[str]], pd.DataFrame]


def optimisation_method(
    trained: Checkpoint, dataset: CellDataset, settings: OptimisationSettings
) -> MapMethod:
    """Class optimisation maps from ``trained``'s training inputs of ``dataset``."""
    inputs = trained.inputs(dataset, "train")
    labels = dataset.labels[dataset.mask("train")]
    return MapMethod(
        "optimisation",
        lambda model: class_optimisation_maps(model, inputs, labels, settings)["maps"],
        score_against_truth,
    )


def attribution_method(
    trained: Checkpoint, dataset: CellDataset, settings: AttributionSettings
) -> MapMethod:
    """Integrated gradients of the test genes of ``dataset``, averaged per class."""
    inputs = trained.inputs(dataset, "test")
    labels = dataset.labels[dataset.mask("test")]
    baseline = (
        trained.inputs(dataset, "train").mean(axis=0)
        if settings.baseline == "mean"
        else np.zeros(inputs.shape[1:], dtype=np.float32)
    )

    def draw(model: nn.Module) -> np.ndarray:
        return class_means(integrated_gradients(model, inputs, baseline, settings.steps), labels)

    return MapMethod("integrated_gradients", draw, score_attributions)


def high_minus_low(maps: np.ndarray) -> np.ndarray:
    """[classes, marks, bins] -> [marks, bins]."""
    return np.asarray(maps[1], dtype=np.float64) - np.asarray(maps[0], dtype=np.float64)


def mark_scores(profile: np.ndarray) -> np.ndarray:
    """Root mean square over the bins of each mark of ``profile`` [marks, bins]: [marks]."""
    return np.sqrt(np.mean(np.square(profile), axis=1))


def score_ratio(control: np.ndarray, real: np.ndarray) -> float:
    """A control's score over the real model's (0 where both are 0, inf where only the real
    one is)."""
    if real == 0:
        return 0.0 if control == 0 else float("inf")
    return float(control / real)


def rank_correlations(real: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Spearman's rho over the bins of each mark of two profiles [marks, bins]: [marks] (0
    where either is constant: nothing in common)."""
    values = []
    for first, second in zip(real, other, strict=True):
        if np.ptp(first) == 0 or np.ptp(second) == 0:
            values.append(0.0)
        else:
            values.append(float(spearmanr(first, second).statistic))
    return np.asarray(values)


def reference_maps(
    trained: Checkpoint, dataset: CellDataset, truth: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """The reference [classes, marks, bins] and its name: ``truth`` where given, else the
    class means of the test genes' inputs."""
    if truth is not None:
        return truth, "demo truth"
    inputs = trained.inputs(dataset, "test")
    return class_means(inputs, dataset.labels[dataset.mask("test")]), "test genes' class means"


def control_rows(
    method: MapMethod,
    control: ControlModel,
    real: np.ndarray,
    maps: np.ndarray,
    reference: np.ndarray,
    marks: Sequence[str],
) -> list[dict[str, Any]]:
    """The figures of ``control``'s map ``maps`` against the real map ``real`` (both [classes,
    marks, bins]) and the reference: one row per mark and figure (``mark``, ``statistic``,
    ``value``, ``passes``); ``passes`` is None where a row is reported but not judged."""
    real_profile, profile = high_minus_low(real), high_minus_low(maps)
    ratios = [
        score_ratio(control_score, real_score)
        for control_score, real_score in zip(
            mark_scores(profile), mark_scores(real_profile), strict=True
        )
    ]
    if control.control == "model_randomisation":
        return [
            {
                "mark": mark,
                "statistic": "rank_correlation",
                "value": rho,
                "passes": abs(rho) < RANDOMISATION_LIMIT if control.judged else None,
            }
            for mark, rho in zip(marks, rank_correlations(real_profile, profile), strict=True)
        ]
    if control.control == "mark_ablation":
        ratio = ratios[list(marks).index(control.mark)]
        return [
            {
                "mark": control.mark,
                "statistic": "score_ratio",
                "value": ratio,
                "passes": ratio < ABLATION_LIMIT,
            }
        ]
    scores = method.score(maps, reference, marks).set_index("mark")
    rows = []
    for index, mark in enumerate(marks):
        if mark == control.mark:
            continue
        if control.control == "single_mark":
            rows.append(
                {
                    "mark": mark,
                    "statistic": "score_ratio",
                    "value": ratios[index],
                    "passes": ratios[index] < ABLATION_LIMIT,
                }
            )
        if bool(scores.loc[mark, "positional"]):
            correlation = float(scores.loc[mark, "correlation"])
            rows.append(
                {
                    "mark": mark,
                    "statistic": "reference_correlation",
                    "value": correlation,
                    # A map that does not move (NaN) recovers nothing.
                    "passes": not correlation >= RECOVERY_CORRELATION,
                }
            )
    return rows


def run_controls(
    methods: Sequence[MapMethod],
    real_maps: Mapping[str, np.ndarray],
    controls: Sequence[ControlModel],
    reference: np.ndarray,
    reference_name: str,
    marks: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Every method's map of every control model, judged: a table of ``COLUMNS`` after a
    ``reference`` column, with a verdict row per method and control (mark and control model ``all``,
    statistic ``failed_rows``: its value counts the judged rows that failed); and the
    high-minus-low [marks, bins] of every map drawn, keyed ``method/model``."""
    rows, profiles = [], {}
    for method in methods:
        real = real_maps[method.name]
        profiles[f"{method.name}/real model"] = high_minus_low(real)
        for control in controls:
            maps = method.draw(control.model)
            profiles[f"{method.name}/{control.description}"] = high_minus_low(maps)
            for row in control_rows(method, control, real, maps, reference, marks):
                rows.append(
                    {
                        "method": method.name,
                        "control": control.control,
                        "control_model": control.description,
                        **row,
                    }
                )
    table = pd.DataFrame(rows, columns=[column for column in COLUMNS if column != "rule"])
    verdicts = []
    for (method, control), part in table.groupby(["method", "control"], sort=False):
        judged = part["passes"].dropna().astype(bool)
        verdicts.append(
            {
                "method": method,
                "control": control,
                "control_model": "all",
                "mark": "all",
                "statistic": "failed_rows",
                "value": float((~judged).sum()),
                "passes": bool(judged.all()),
            }
        )
    table = pd.concat([table, pd.DataFrame(verdicts)], ignore_index=True)
    table["rule"] = table["control"].map(RULES)
    table.insert(0, "reference", reference_name)
    for verdict in verdicts:
        logger.info(
            f"{verdict['method']}, {verdict['control']}: "
            f"{'passes' if verdict['passes'] else 'FAILS'}"
        )
    return table, profiles
