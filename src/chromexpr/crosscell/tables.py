"""The long transfer table of every cross-cell experiment, its matrices and per-cell summaries."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import InputFormatError
from chromexpr.stats import mean_interval

PAIRWISE, LEAVE_ONE_OUT, POOLED = "pairwise", "leave_one_out", "pooled"
TRANSFER_COLUMNS = (
    "experiment",
    "train_set",
    "test_cell",
    "model",
    "normalisation",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "n_test",
    # whether the row's model converged, as its bundle records (empty: not recorded)
    "converged",
)
# Summary AUCs that carry a 95% interval (the transfer means are means over models: no interval).
INTERVAL_COLUMNS = ("within_cell", "leave_one_out", "pooled")
# A transfer table row is identified by these; a second row with the same key is an error.
TRANSFER_KEY = ["experiment", "train_set", "test_cell", "model", "normalisation"]


def transfer_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The long transfer table of ``rows``: columns ``TRANSFER_COLUMNS``, sorted by its key."""
    table = pd.DataFrame(
        [[row[column] for column in TRANSFER_COLUMNS] for row in rows],
        columns=list(TRANSFER_COLUMNS),
    )
    return table.sort_values(TRANSFER_KEY, ignore_index=True)


def write_transfer_table(table: pd.DataFrame, path: Path) -> None:
    """Write a transfer table as TSV, atomically."""
    write_tsv(table, path)


def read_transfer_results(paths: Sequence[Path]) -> pd.DataFrame:
    """One long table of the ``.tsv`` tables (pairwise, pooled) and ``transfer.json`` rows
    (leave-one-out) at ``paths``; InputFormatError on a missing column or a repeated row."""
    rows: list[dict[str, Any]] = []
    origin: dict[tuple[Any, ...], Path] = {}
    for path in map(Path, paths):
        try:
            if path.suffix == ".json":
                records = [json.loads(path.read_text())]
            else:
                records = pd.read_csv(
                    path, sep="\t", dtype={"train_set": str, "test_cell": str}
                ).to_dict("records")
        except (OSError, ValueError) as error:
            raise InputFormatError(path, f"cannot read transfer results: {error}") from error
        for record in records:
            missing = [column for column in TRANSFER_COLUMNS if column not in record]
            if missing:
                raise InputFormatError(path, f"transfer results without {missing}")
            key = tuple(record[column] for column in TRANSFER_KEY)
            if key in origin:
                raise InputFormatError(path, f"row {key} also in {origin[key]}")
            origin[key] = path
            rows.append(record)
    return transfer_table(rows)


def transfer_matrix(long: pd.DataFrame, model: str, normalisation: str) -> pd.DataFrame:
    """Pairwise AUC [train cells, test cells] of ``model`` under ``normalisation``, both sorted."""
    selected = long[
        (long["experiment"] == PAIRWISE)
        & (long["model"] == model)
        & (long["normalisation"] == normalisation)
    ]
    if selected.empty:
        raise ValueError(f"no pairwise results for model {model}, normalisation {normalisation}")
    matrix = selected.pivot(index="train_set", columns="test_cell", values="auc")
    matrix = matrix.sort_index().sort_index(axis=1)
    matrix.index.name, matrix.columns.name = "train_cell", "test_cell"
    return matrix


def summarise_transfer(long: pd.DataFrame) -> pd.DataFrame:
    """Per model and normalisation, one row per test cell and a last row ``mean`` (over cells):

    - ``within_cell_auc``: the cell's own model on its test genes (the pairwise diagonal);
    - ``transfer_auc_as_test``: mean AUC of the other cells' models on this cell's test genes;
    - ``transfer_auc_as_train``: mean AUC of this cell's model on the other cells' test genes;
    - ``leave_one_out_auc``, ``pooled_auc``: the models trained without this cell / on all cells;
    - ``leave_one_out_minus_within``: what training on other cells costs (negative) or buys;
    - ``{within_cell,leave_one_out,pooled}_ci_low`` / ``_ci_high``: the 95% interval of that
      AUC (DeLong's, per cell; on the ``mean`` row the t interval of the mean over cells).

    An experiment not run leaves its columns empty.
    """
    summaries = []
    for (model, normalisation), group in long.groupby(["model", "normalisation"], sort=True):
        pairs = group[group["experiment"] == PAIRWISE]
        within = pairs["train_set"] == pairs["test_cell"]
        per_cell = pd.DataFrame(
            {
                "within_cell_auc": pairs[within].set_index("test_cell")["auc"],
                "transfer_auc_as_test": pairs[~within].groupby("test_cell")["auc"].mean(),
                "transfer_auc_as_train": pairs[~within].groupby("train_set")["auc"].mean(),
                "leave_one_out_auc": _auc_by_test_cell(group, LEAVE_ONE_OUT),
                "pooled_auc": _auc_by_test_cell(group, POOLED),
            },
            index=sorted(set(group["test_cell"]) | set(pairs["train_set"])),
        )
        per_cell["leave_one_out_minus_within"] = (
            per_cell["leave_one_out_auc"] - per_cell["within_cell_auc"]
        )
        intervals = {
            "within_cell": pairs[within].set_index("test_cell"),
            "leave_one_out": _rows_by_test_cell(group, LEAVE_ONE_OUT),
            "pooled": _rows_by_test_cell(group, POOLED),
        }
        for name, rows in intervals.items():
            for end in ("low", "high"):
                per_cell[f"{name}_ci_{end}"] = rows[f"auc_ci_{end}"]
        mean = per_cell.mean()
        for name in intervals:
            aucs = per_cell[f"{name}_auc"].dropna().to_numpy()
            if len(aucs):
                _, mean[f"{name}_ci_low"], mean[f"{name}_ci_high"] = mean_interval(aucs)
        per_cell.loc["mean"] = mean
        per_cell.insert(0, "normalisation", normalisation)
        per_cell.insert(0, "model", model)
        summaries.append(per_cell.rename_axis("cell").reset_index())
    columns = [
        "model",
        "normalisation",
        "cell",
        "within_cell_auc",
        "transfer_auc_as_test",
        "transfer_auc_as_train",
        "leave_one_out_auc",
        "pooled_auc",
        "leave_one_out_minus_within",
        *(f"{name}_ci_{end}" for name in INTERVAL_COLUMNS for end in ("low", "high")),
    ]
    if not summaries:
        return pd.DataFrame(columns=columns)
    return pd.concat(summaries, ignore_index=True)[columns]


def _rows_by_test_cell(group: pd.DataFrame, experiment: str) -> pd.DataFrame:
    return group[group["experiment"] == experiment].set_index("test_cell")


def _auc_by_test_cell(group: pd.DataFrame, experiment: str) -> pd.Series:
    return _rows_by_test_cell(group, experiment)["auc"]
