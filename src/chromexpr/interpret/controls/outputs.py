"""One trained model's controls on one cell type (``run_interpretation_controls``), their files,
and the summary of many (``write_controls_summary``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import AttributionSettings
from chromexpr.interpret.controls.checks import (
    ControlSettings,
    attribution_method,
    optimisation_method,
    reference_maps,
    run_controls,
)
from chromexpr.interpret.controls.models import control_models
from chromexpr.interpret.optimisation import OptimisationSettings
from chromexpr.interpret.outputs import FLOAT_FORMAT
from chromexpr.report import write_table_html
from chromexpr.train import Checkpoint


def write_controls(
    path_tsv: str | os.PathLike[str],
    path_npz: str | os.PathLike[str],
    table: pd.DataFrame,
    profiles: Mapping[str, np.ndarray],
    dataset: CellDataset,
) -> None:
    """The controls table (TSV) and every map's high-minus-low (``.npz``: ``profiles``
    [maps, marks, bins], ``names`` ``method/model`` of each, ``marks``, ``bin_offsets``)."""
    write_tsv(table, path_tsv, float_format=FLOAT_FORMAT)
    with atomic_path(path_npz, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            profiles=np.stack(list(profiles.values())),
            names=np.asarray(list(profiles)),
            marks=np.asarray([str(mark) for mark in dataset.marks]),
            bin_offsets=np.asarray(dataset.bin_offsets),
        )


def run_interpretation_controls(
    dataset: CellDataset,
    trained: Checkpoint,
    real_maps: Mapping[str, str | os.PathLike[str]],
    optimisation: OptimisationSettings,
    attributions: AttributionSettings,
    settings: ControlSettings,
    truth: np.ndarray | None,
    out_tsv: str | os.PathLike[str],
    out_npz: str | os.PathLike[str],
) -> pd.DataFrame:
    """The controls of the maps ``trained`` has in ``real_maps`` (``.npz`` files with ``maps``,
    keyed ``optimisation`` and/or ``integrated_gradients``) on ``dataset``, against ``truth``
    (the demo's, or None: the test genes' class means). Writes ``out_tsv`` and ``out_npz``
    (``write_controls``); returns the table. DatasetMismatchError unless ``trained`` is a
    classifier that may score ``dataset``."""
    trained.check_compatible(dataset, task="classification")
    marks = [str(mark) for mark in dataset.marks]
    builders = {
        "optimisation": lambda: optimisation_method(trained, dataset, optimisation),
        "integrated_gradients": lambda: attribution_method(trained, dataset, attributions),
    }
    methods = [builders[name]() for name in real_maps]
    drawn = {}
    for name, path in real_maps.items():
        with np.load(path) as archive:
            drawn[name] = archive["maps"]
    models = control_models(trained, dataset, settings.marks_to_ablate(marks), settings.seed)
    if not settings.cascade:
        models = [model for model in models if model.judged]
    reference, reference_name = reference_maps(trained, dataset, truth)
    table, profiles = run_controls(methods, drawn, models, reference, reference_name, marks)
    table.insert(0, "cell", dataset.cell)
    table.insert(0, "model", trained.name)
    write_controls(out_tsv, out_npz, table, profiles, dataset)
    return table


# How a control's figures are summed up in one: the one furthest towards failing its rule.
WORST = {
    "rank_correlation": lambda values: values.abs().max(),
    "score_ratio": lambda values: values.max(),
    "reference_correlation": lambda values: values.max(),
}


def controls_summary(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One row per model, cell, method and control of the controls ``tables``: the judged
    figure furthest towards failing (``statistic``, ``worst``: the largest |rho|, ratio or
    correlation), the failed rows, whether the control passes, and its rule."""
    rows = []
    for table in tables:
        judged = table[(table["mark"] != "all") & table["passes"].notna()]
        verdicts = table[table["mark"] == "all"].set_index(["method", "control"])
        for (method, control), part in judged.groupby(["method", "control"], sort=False):
            verdict = verdicts.loc[(method, control)]
            for statistic, figures in part.groupby("statistic", sort=False):
                rows.append(
                    {
                        "model": verdict["model"],
                        "cell": verdict["cell"],
                        "method": method,
                        "control": control,
                        "statistic": statistic,
                        "worst": WORST[statistic](figures["value"]),
                        "failed_rows": int(verdict["value"]),
                        "passes": bool(verdict["passes"]),
                        "rule": verdict["rule"],
                    }
                )
    return pd.DataFrame(rows)


def write_controls_summary(
    paths: Sequence[str | os.PathLike[str]],
    out_tsv: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
) -> pd.DataFrame:
    """``controls_summary`` of the controls TSVs ``paths``: a TSV and an HTML page."""
    summary = controls_summary([pd.read_csv(path, sep="\t") for path in paths])
    write_tsv(summary, out_tsv, float_format=FLOAT_FORMAT)
    write_table_html(
        out_tsv, out_html, "Interpretation controls: would a wrong model pass the same check?"
    )
    return summary
