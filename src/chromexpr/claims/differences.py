"""What the claims compare: per (cell, fold, seed), the AUC difference of two runs on their common
test genes with DeLong's test; for the cross-cell claim, per test cell, the transfer test of the
pairwise transfer (``chromexpr.crosscell.transfer_tests``). Each row names what of its runs did
not converge."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.claims.catalog import Claim
from chromexpr.crosscell.transfer_tests import NOT_RECORDED
from chromexpr.errors import InputFormatError
from chromexpr.stats import delong_test
from chromexpr.tables import predictions_path, read_prediction_table
from chromexpr.train.convergence import epochs_convergence

# ``not_converged``: what did not converge of the pair's runs (empty: both did).
PAIR_COLUMNS = (
    "claim",
    "cell",
    "fold",
    "seed",
    "auc_a",
    "auc_b",
    "difference",
    "delong_p",
    "not_converged",
)


def read_runs(metrics_paths: Sequence[Path]) -> pd.DataFrame:
    """One row per classifier run: cell, model, fold, seed, test_auc, converged (None where the
    metrics do not record it) and its predictions.tsv (beside metrics.json). A run without
    ``fold`` counts as fold 0; ``seed`` falls back to the training settings' seed."""
    rows = []
    for path in map(Path, metrics_paths):
        try:
            metrics = json.loads(path.read_text())
            rows.append(
                {
                    "cell": str(metrics["cell"]),
                    "model": metrics["model"],
                    "fold": metrics.get("fold", 0),
                    "seed": metrics.get("seed", metrics.get("settings", {}).get("seed", 0)),
                    "test_auc": metrics["test_auc"],
                    "converged": metrics.get("converged"),
                    "predictions": predictions_path(path),
                }
            )
        except (OSError, json.JSONDecodeError, KeyError) as error:
            raise InputFormatError(path, f"cannot read a classifier's metrics: {error}") from error
    runs = pd.DataFrame(
        rows, columns=["cell", "model", "fold", "seed", "test_auc", "converged", "predictions"]
    )
    repeated = runs[runs.duplicated(["cell", "model", "fold", "seed"], keep=False)]
    if len(repeated):
        raise InputFormatError(
            repeated["predictions"].iloc[0].parent / "metrics.json",
            "the same (cell, model, fold, seed) is given twice",
        )
    return runs


def model_differences(runs: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """``PAIR_COLUMNS`` rows: per (cell, fold, seed) both models ran, AUC(a) - AUC(b) on their
    common test genes with DeLong's p-value. InputFormatError when the two runs hold different
    test genes or labels (they were not trained on one split)."""
    keys = ["cell", "fold", "seed"]
    pairs = runs[runs["model"] == claim.better].merge(
        runs[runs["model"] == claim.other], on=keys, suffixes=("_a", "_b")
    )
    rows = []
    for pair in pairs.sort_values(keys).itertuples(index=False):
        scores_a, scores_b = (
            read_prediction_table(pair.predictions_a),
            read_prediction_table(pair.predictions_b),
        )
        if list(scores_a.index) != list(scores_b.index) or not np.array_equal(
            scores_a["label"], scores_b["label"]
        ):
            raise InputFormatError(
                pair.predictions_b,
                f"test genes or labels differ from {pair.predictions_a}; compare runs of one split",
            )
        test = delong_test(scores_a["label"], scores_a["probability"], scores_b["probability"])
        unconverged = [
            _unconverged(model, converged)
            for model, converged in (
                (claim.better, pair.converged_a),
                (claim.other, pair.converged_b),
            )
            if converged is not True
        ]
        rows.append(
            (claim.key, pair.cell, pair.fold, pair.seed)
            + (test.auc_a, test.auc_b, test.difference, test.p_value, ", ".join(unconverged))
        )
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def _unconverged(model: str, converged: bool | None) -> str:
    return model if converged is False else f"{model} ({NOT_RECORDED})"


def crosscell_differences(tests: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """``PAIR_COLUMNS`` rows, one per test cell of the pairwise transfer tests (``tests``,
    ``chromexpr.crosscell.transfer_tests``) of ``claim``'s model without input normalisation:
    the mean AUC of the model trained on each other cell minus its AUC trained on the test cell
    itself, with DeLong's p of that difference."""
    selected = tests[(tests["model"] == claim.better) & (tests["normalisation"] == "none")]
    rows = [
        (claim.key, row.test_cell, 0, 0, row.transfer_auc, row.own_auc, row.difference)
        + (row.p_value, "" if row.converged else f"{claim.better} of {row.not_converged}")
        for row in selected.sort_values("test_cell").itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


# DeepDiff's claim (``DIFFERENTIAL``): its samples are cell-type pairs, its figure the test
# Pearson r of the log2 fold change (differential.tsv), not an AUC; the paired bootstrap of each
# pair is in differential_comparisons.tsv, so its rows carry no DeLong p.


def read_differential_scores(path: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """differential.tsv, or None where the task did not run (no path)."""
    if path is None:
        return None
    return pd.read_csv(path, sep="\t", dtype={"cell_a": str, "cell_b": str})


def pearson_differences(
    table: pd.DataFrame | None, key: str, model: str, baseline: str
) -> pd.DataFrame:
    """``PAIR_COLUMNS`` rows of claim ``key``, one per pair (``cell``: A-B) of differential.tsv
    ``table`` where both ran: ``model``'s test Pearson r, ``baseline``'s and their difference.
    No rows where ``table`` is None."""
    rows = []
    if table is not None:
        indexed = table.set_index(["cell_a", "cell_b", "model"])
        scores = indexed["pearson"].astype(float)
        for cell_a, cell_b in sorted({index[:2] for index in scores.index}):
            keys = [(cell_a, cell_b, name) for name in (model, baseline)]
            if all(index in scores.index for index in keys):
                better, other = (float(scores.loc[index]) for index in keys)
                pair = f"{cell_a}-{cell_b}"
                failing = ", ".join(
                    name
                    for name, index in zip((model, baseline), keys, strict=True)
                    if not run_converged(indexed.loc[index])
                )
                rows.append((key, pair, 0, 0, better, other, better - other, np.nan, failing))
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def run_converged(row: pd.Series) -> bool:
    """The gradient loop's rule (``chromexpr.train.convergence``) on a differential.tsv row; a
    model fitted in one step (no epochs recorded, or one) counts as converged. The differential
    task trains without early stopping, as DeepDiff's authors do."""
    best, run = row.get("best_epoch"), row.get("epochs_run")
    if best is None or run is None or pd.isna(best) or pd.isna(run) or int(run) <= 1:
        return True
    return epochs_convergence(int(best), int(run), stopped_early=False).converged
