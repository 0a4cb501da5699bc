"""Tables over every trained run (cell, model, fold, seed): AUC with its 95% DeLong interval
(long; per fold and pooled over folds with mean and standard deviation across runs; wide; next to
the published DeepChrome AUCs), the models' sizes and costs, and the regression task's
correlations.

The long table (``auc.tsv``, ``regression.tsv``), one row per run, is the base: every other table
is aggregated from it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.errors import InputFormatError
from chromexpr.stats import auc_interval, mean_interval

# What every run records after its scores, in both tasks' tables (``converged``: the rule of
# chromexpr.train.convergence).
RUN_COLUMNS = (
    "best_epoch",
    "epochs_run",
    "converged",
    "wall_seconds",
    "device",
    "n_parameters",
    "recipe",
)
# What names one run: a row of the long tables.
RUN_KEYS = ("cell", "model", "fold", "seed")
# Columns of auc.tsv, in order; every metrics.json must carry them.
AUC_COLUMNS = (*RUN_KEYS, "test_auc", "valid_auc", "train_auc", *RUN_COLUMNS)
# Columns of regression.tsv.
REGRESSION_COLUMNS = (
    *RUN_KEYS,
    "test_pearson",
    "test_spearman",
    "valid_pearson",
    "valid_spearman",
    "train_pearson",
    *RUN_COLUMNS,
)
SUMMARY_ROWS = ("mean", "median", "min", "max")
# The test AUC's DeLong standard error and 95% interval, from the run's predictions.tsv.
INTERVAL_COLUMNS = ("test_auc_se", "test_auc_ci_low", "test_auc_ci_high")
# A recomputed AUC further than this from metrics.json's means the files do not belong together
# (predictions.tsv keeps 9 significant digits, which can only create ties of a few genes).
AUC_TOLERANCE = 1e-3


def read_metrics(
    metrics_paths: Sequence[Path], columns: Sequence[str] = AUC_COLUMNS
) -> pd.DataFrame:
    """The long table, one row per run (cell, model, fold, seed), sorted; ``columns``
    (AUC_COLUMNS by default), plus ``seconds_per_epoch`` where the metrics record it."""
    rows = []
    seen: dict[tuple, Path] = {}
    for path in metrics_paths:
        try:
            metrics = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise InputFormatError(path, f"cannot read metrics: {error}") from error
        missing = [column for column in columns if column not in metrics]
        if missing:
            raise InputFormatError(path, f"metrics without {missing}")
        key = tuple(metrics[column] for column in RUN_KEYS)
        if key in seen:
            run = ", ".join(f"{name} {value}" for name, value in zip(RUN_KEYS, key, strict=True))
            raise InputFormatError(path, f"{run} also in {seen[key]}")
        seen[key] = Path(path)
        rows.append(
            {
                **{column: metrics[column] for column in columns},
                "seconds_per_epoch": metrics.get("seconds_per_epoch"),
            }
        )
    table = pd.DataFrame(rows, columns=[*columns, "seconds_per_epoch"])
    return table.sort_values(list(RUN_KEYS), ignore_index=True)


def run_spread(long: pd.DataFrame, by: Sequence[str], score: str) -> pd.DataFrame:
    """One row per ``by`` group of the long table: ``runs`` (its rows), ``mean_{score}`` and
    ``sd_{score}`` (sample standard deviation over the runs; empty for one run)."""
    grouped = long.groupby(list(by), sort=True)[score]
    return pd.DataFrame(
        {"runs": grouped.size(), f"mean_{score}": grouped.mean(), f"sd_{score}": grouped.std()}
    ).reset_index()


def per_fold(long: pd.DataFrame, score: str = "test_auc") -> pd.DataFrame:
    """One row per (cell, model, fold): mean and standard deviation of ``score`` over seeds."""
    return run_spread(long, ["cell", "model", "fold"], score).rename(columns={"runs": "seeds"})


def pooled(long: pd.DataFrame, score: str = "test_auc") -> pd.DataFrame:
    """One row per (cell, model), folds pooled: ``folds``, ``seeds``, ``runs``, mean and standard
    deviation of ``score`` over every (fold, seed) run, ``sd_over_folds_{score}`` (of the folds'
    means over seeds) and ``mean_sd_over_seeds_{score}`` (the folds' seed spread, averaged)."""
    folds = per_fold(long, score)
    by_fold = folds.groupby(["cell", "model"], sort=True)
    table = run_spread(long, ["cell", "model"], score)
    table.insert(2, "folds", by_fold.size().to_numpy())
    table.insert(
        3, "seeds", long.groupby(["cell", "model"], sort=True)["seed"].nunique().to_numpy()
    )
    table[f"sd_over_folds_{score}"] = by_fold[f"mean_{score}"].std().to_numpy()
    table[f"mean_sd_over_seeds_{score}"] = by_fold[f"sd_{score}"].mean().to_numpy()
    return table


def predictions_path(metrics_path: Path) -> Path:
    """The run's predictions.tsv: every run writes it beside its metrics.json."""
    return Path(metrics_path).parent / "predictions.tsv"


def read_prediction_table(path: Path) -> pd.DataFrame:
    """A classifier's predictions.tsv (gene_id, label, probability, ...), indexed by gene id;
    InputFormatError naming the file when it cannot be read or lacks those columns."""
    try:
        table = pd.read_csv(path, sep="\t", dtype={"gene_id": str})
    except (OSError, ValueError) as error:
        raise InputFormatError(path, f"cannot read predictions: {error}") from error
    missing = [column for column in ("gene_id", "label", "probability") if column not in table]
    if missing:
        raise InputFormatError(path, f"predictions without {missing}")
    return table.set_index("gene_id")


def read_predictions(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(labels [test genes] 0/1, p(high) [test genes]) from a classifier's predictions.tsv."""
    table = read_prediction_table(path)
    return table["label"].to_numpy(), table["probability"].to_numpy(dtype=np.float64)


def with_auc_intervals(long: pd.DataFrame, metrics_paths: Sequence[Path]) -> pd.DataFrame:
    """``long`` (``read_metrics`` of ``metrics_paths``) with ``INTERVAL_COLUMNS`` after
    test_auc, each from the predictions.tsv beside the run's metrics.json."""
    intervals = {}
    for path in metrics_paths:
        metrics = json.loads(Path(path).read_text())
        predictions = predictions_path(path)
        try:
            interval = auc_interval(*read_predictions(predictions))
        except ValueError as error:
            raise InputFormatError(predictions, str(error)) from error
        if abs(interval.auc - metrics["test_auc"]) > AUC_TOLERANCE:
            raise InputFormatError(
                predictions,
                f"AUC {interval.auc:.4f} of the predictions, {metrics['test_auc']:.4f} in {path}",
            )
        intervals[tuple(metrics[column] for column in RUN_KEYS)] = (
            interval.se,
            interval.low,
            interval.high,
        )
    keys = list(zip(*(long[column] for column in RUN_KEYS), strict=True))
    table = long.copy()
    position = table.columns.get_loc("test_auc") + 1
    for offset, column in enumerate(INTERVAL_COLUMNS):
        table.insert(position + offset, column, [intervals[key][offset] for key in keys])
    return table


def cell_means(long: pd.DataFrame) -> pd.DataFrame:
    """One row per (cell, model) of the long AUC table: ``runs``, ``test_auc`` (the mean over its
    runs) and its 95% interval ``test_auc_ci_low`` / ``test_auc_ci_high``: the run's DeLong
    interval for one run, the t interval of the mean over the runs (folds, seeds) for several."""
    rows = []
    for (cell, model), runs in long.groupby(["cell", "model"], sort=True):
        if len(runs) == 1:
            (run,) = runs.to_dict("records")
            interval = (run["test_auc"], run["test_auc_ci_low"], run["test_auc_ci_high"])
        else:
            interval = mean_interval(runs["test_auc"].to_numpy())
        rows.append((cell, model, len(runs), *interval))
    return pd.DataFrame(
        rows, columns=["cell", "model", "runs", "test_auc", "test_auc_ci_low", "test_auc_ci_high"]
    )


def read_auc_table(path: Path) -> pd.DataFrame:
    """auc.tsv as written by ``build_auc_tables``."""
    return pd.read_csv(path, sep="\t", dtype={"cell": str, "model": str, "device": str})


def read_published_auc(path: Path) -> pd.Series:
    """Published DeepChrome test AUC indexed by cell, from a TSV with header ``cell<TAB>auc``."""
    table = pd.read_csv(path, sep="\t", dtype={"cell": str})
    if list(table.columns) != ["cell", "auc"]:
        raise InputFormatError(path, f"expected columns ['cell', 'auc'], got {list(table.columns)}")
    duplicated = table["cell"][table["cell"].duplicated()]
    if len(duplicated):
        raise InputFormatError(path, f"cells listed twice: {sorted(set(duplicated))}")
    return table.set_index("cell")["auc"].astype(float)


def wide_auc(long: pd.DataFrame, value: str = "test_auc") -> pd.DataFrame:
    """``value`` [cells + summary rows, models]: one row per cell (the mean over its runs' folds
    and seeds), then mean, median, min, max.

    A (cell, model) that was not run is empty and left out of its model's summary.
    """
    wide = long.pivot_table(index="cell", columns="model", values=value, aggfunc="mean")
    wide = wide.sort_index()
    wide.columns.name = None
    summary = pd.DataFrame({name: wide.agg(name) for name in SUMMARY_ROWS}).T
    return pd.concat([wide, summary]).rename_axis("cell")


def published_comparison(long: pd.DataFrame, published: pd.Series) -> pd.DataFrame:
    """Our test AUC (the mean over a (cell, model)'s folds and seeds) beside the published
    DeepChrome AUC for every (cell, model) run.

    A cell absent from the published table keeps its row, with the published AUC empty;
    ``published_in_interval`` says whether the published AUC lies in our 95% interval.
    """
    table = cell_means(long)[
        ["cell", "model", "runs", "test_auc", "test_auc_ci_low", "test_auc_ci_high"]
    ]
    table["published_auc"] = table["cell"].map(published)
    table["difference"] = table["test_auc"] - table["published_auc"]
    table["published_in_interval"] = (
        table["published_auc"]
        .between(table["test_auc_ci_low"], table["test_auc_ci_high"])
        .where(table["published_auc"].notna())
    )
    return table


def markdown_table(
    wide: pd.DataFrame,
    decimals: int = 3,
    low: pd.DataFrame | None = None,
    high: pd.DataFrame | None = None,
) -> str:
    """A Markdown pipe table of ``wide`` (index as the first column); empty cells stay empty.
    With ``low`` and ``high`` (same shape, empty where there is no interval) a value is written
    ``value [low, high]``."""
    header = [wide.index.name or "", *map(str, wide.columns)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|:--" + "|--:" * len(wide.columns) + "|",
    ]
    for label, row in wide.iterrows():
        values = []
        for column, value in row.items():
            text = "" if pd.isna(value) else f"{value:.{decimals}f}"
            if text and low is not None and high is not None:
                bounds = (low.at[label, column], high.at[label, column])
                if not any(pd.isna(bound) for bound in bounds):
                    text += f" [{bounds[0]:.{decimals}f}, {bounds[1]:.{decimals}f}]"
            values.append(text)
        lines.append("| " + " | ".join([str(label), *values]) + " |")
    return "\n".join(lines) + "\n"


def model_summary(long: pd.DataFrame, score: str = "test_auc") -> pd.DataFrame:
    """One row per model: parameters, cells trained, runs (cells x folds x seeds), mean ``score``
    over cells (each cell's the mean over its runs) with the 95% t interval of that mean (empty
    for one cell), median ``score`` over cells, mean epochs run, the runs that converged, seconds
    per epoch and seconds per cell (one run's training and scoring)."""
    grouped = long.groupby("model", sort=True)
    by_cell = long.groupby(["model", "cell"], sort=True)[score].mean().groupby("model")
    intervals = by_cell.apply(lambda values: mean_interval(values.to_numpy()))
    summary = pd.DataFrame(
        {
            "n_parameters": grouped["n_parameters"].first(),
            "cells": grouped["cell"].nunique(),
            "runs": grouped.size(),
            f"mean_{score}": by_cell.mean(),
            f"mean_{score}_ci_low": intervals.map(lambda interval: interval[1]),
            f"mean_{score}_ci_high": intervals.map(lambda interval: interval[2]),
            f"median_{score}": by_cell.median(),
            "mean_epochs_run": grouped["epochs_run"].mean(),
            "converged_runs": grouped["converged"].sum(),
            "mean_seconds_per_epoch": grouped["seconds_per_epoch"].mean(),
            "mean_seconds_per_cell": grouped["wall_seconds"].mean(),
        }
    )
    return summary.reset_index()


def build_auc_tables(metrics_paths: Sequence[Path], published_auc: Path, out_dir: Path) -> None:
    """Write ``auc.tsv`` (one row per run, with each test AUC's DeLong interval from the
    predictions.tsv beside its metrics.json), ``auc_folds.tsv`` (``per_fold``),
    ``auc_pooled.tsv`` (``pooled``), ``auc_wide.tsv``, ``auc_wide.md`` (values with their
    intervals, ``cell_means``), ``published_comparison.tsv`` and ``models.tsv``
    (``model_summary``)."""
    if not metrics_paths:
        raise ValueError("build_auc_tables needs at least one metrics.json")
    long = with_auc_intervals(read_metrics(metrics_paths), metrics_paths)
    wide = wide_auc(long)
    comparison = published_comparison(long, read_published_auc(published_auc))
    out_dir = Path(out_dir)
    write_tsv(long, out_dir / "auc.tsv")
    write_tsv(per_fold(long), out_dir / "auc_folds.tsv")
    write_tsv(pooled(long), out_dir / "auc_pooled.tsv")
    write_tsv(wide, out_dir / "auc_wide.tsv", index=True)
    write_tsv(comparison, out_dir / "published_comparison.tsv")
    write_tsv(model_summary(long), out_dir / "models.tsv")
    means = cell_means(long)
    low, high = (
        means.pivot(index="cell", columns="model", values=column).reindex_like(wide)
        for column in ("test_auc_ci_low", "test_auc_ci_high")
    )
    with atomic_path(out_dir / "auc_wide.md") as tmp:
        tmp.write_text(markdown_table(wide, low=low, high=high))


def build_regression_tables(metrics_paths: Sequence[Path], out_dir: Path) -> None:
    """Write ``regression.tsv`` (long, one row per run), ``regression_folds.tsv`` and
    ``regression_pooled.tsv`` (test Pearson r per fold and pooled), ``regression_wide.tsv`` and
    ``regression_wide.md`` (test Pearson r per cell and model, with summary rows)."""
    if not metrics_paths:
        raise ValueError("build_regression_tables needs at least one metrics.json")
    long = read_metrics(metrics_paths, REGRESSION_COLUMNS)
    wide = wide_auc(long, "test_pearson")
    out_dir = Path(out_dir)
    write_tsv(long, out_dir / "regression.tsv")
    write_tsv(per_fold(long, "test_pearson"), out_dir / "regression_folds.tsv")
    write_tsv(pooled(long, "test_pearson"), out_dir / "regression_pooled.tsv")
    write_tsv(wide, out_dir / "regression_wide.tsv", index=True)
    with atomic_path(out_dir / "regression_wide.md") as tmp:
        tmp.write_text(markdown_table(wide))
