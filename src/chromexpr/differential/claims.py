"""DeepDiff's claim, "DeepDiff beats the difference of single-cell models", for the claims table
(``chromexpr.claims``): its samples are cell-type pairs, its figure the test Pearson r of the
log2 fold change (differential.tsv), not an AUC; the paired bootstrap of each pair is in
differential_comparisons.tsv, so the rows carry no DeLong p."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

# chromexpr.claims.PAIR_COLUMNS, whose rows these are.
PAIR_COLUMNS = ("claim", "cell", "fold", "seed", "auc_a", "auc_b", "difference", "delong_p")


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
        scores = table.set_index(["cell_a", "cell_b", "model"])["pearson"].astype(float)
        for cell_a, cell_b in sorted({index[:2] for index in scores.index}):
            keys = [(cell_a, cell_b, name) for name in (model, baseline)]
            if all(index in scores.index for index in keys):
                better, other = (float(scores.loc[index]) for index in keys)
                pair = f"{cell_a}-{cell_b}"
                rows.append((key, pair, 0, 0, better, other, better - other, np.nan))
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
