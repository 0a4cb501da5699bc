"""DeepDiff's claim, "DeepDiff beats the difference of single-cell models", for the claims table
(``chromexpr.claims``): its samples are cell-type pairs, its figure the test Pearson r of the
log2 fold change (differential.tsv), not an AUC; the paired bootstrap of each pair is in
differential_comparisons.tsv, so the rows carry no DeLong p."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from chromexpr.train.convergence import epochs_convergence

# chromexpr.claims.PAIR_COLUMNS, whose rows these are.
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


def read_scores(path: str | os.PathLike[str] | None) -> pd.DataFrame | None:
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
