"""What transfer costs on one cell, tested on its genes: DeLong's test per test cell.

On a test cell's test genes, the mean AUC of the other cells' models minus the AUC of the cell's
own model, with DeLong's test of that contrast (``chromexpr.stats.delong_contrast``: the models
score the same genes, so their AUCs are correlated). ``pairwise_transfer`` computes one row per
test cell from the scores it already holds, and the claims table (``chromexpr.claims``) takes its
per-cell tests of the transfer claim from these rows. ``converged`` says whether every model of
the row converged, as its bundle records (``chromexpr.train.convergence``); ``not_converged``
names the train cells whose model did not, or did not record it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import InputFormatError
from chromexpr.evaluation import auc
from chromexpr.stats import delong_contrast

TRANSFER_TEST_COLUMNS = (
    "model",
    "normalisation",
    "test_cell",
    "transferred_from",
    "own_auc",
    "transfer_auc",
    "difference",
    "se",
    "p_value",
    "n_test",
    "converged",
    "not_converged",
)
# Written where a bundle does not record whether its model converged (older bundles).
NOT_RECORDED = "not recorded"


def transfer_test(
    model: str,
    normalisation: str,
    test_cell: str,
    labels: np.ndarray,
    scores: Mapping[str, np.ndarray],
    converged: Mapping[str, bool | None],
) -> dict[str, Any]:
    """One row of ``TRANSFER_TEST_COLUMNS``: the models of ``scores`` (train cell -> p(high)
    [test genes of ``test_cell``], ``test_cell``'s own among them) on ``labels`` [test genes].
    ``converged``: train cell -> whether its model converged (None: not recorded)."""
    others = sorted(cell for cell in scores if cell != test_cell)
    if test_cell not in scores or not others:
        raise ValueError(
            f"the transfer test of {test_cell} needs its own model and another cell's; "
            f"got models of {sorted(scores)}"
        )
    cells = [test_cell, *others]
    weights = np.array([-1.0] + [1.0 / len(others)] * len(others))
    test = delong_contrast(labels, np.vstack([scores[cell] for cell in cells]), weights)
    own_auc = auc(labels, scores[test_cell])
    failing = [
        cell if converged.get(cell) is False else f"{cell} ({NOT_RECORDED})"
        for cell in cells
        if converged.get(cell) is not True
    ]
    return {
        "model": model,
        "normalisation": normalisation,
        "test_cell": test_cell,
        "transferred_from": ",".join(others),
        "own_auc": own_auc,
        "transfer_auc": own_auc + test.estimate,
        "difference": test.estimate,
        "se": test.se,
        "p_value": test.p_value,
        "n_test": len(labels),
        "converged": not failing,
        "not_converged": ",".join(failing),
    }


def write_transfer_tests(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """The rows as a TSV of ``TRANSFER_TEST_COLUMNS``, sorted by model, normalisation and cell."""
    table = pd.DataFrame(list(rows), columns=list(TRANSFER_TEST_COLUMNS))
    write_tsv(table.sort_values(["model", "normalisation", "test_cell"]), path)


def read_transfer_tests(paths: Sequence[Path]) -> pd.DataFrame:
    """One table of the transfer tests at ``paths``; InputFormatError naming a file that cannot
    be read or lacks a column."""
    tables = []
    for path in map(Path, paths):
        try:
            table = pd.read_csv(
                path,
                sep="\t",
                dtype={"test_cell": str, "transferred_from": str, "not_converged": str},
                keep_default_na=False,
                na_values={"se": [""], "p_value": [""]},
            )
        except (OSError, ValueError) as error:
            raise InputFormatError(path, f"cannot read transfer tests: {error}") from error
        missing = [column for column in TRANSFER_TEST_COLUMNS if column not in table]
        if missing:
            raise InputFormatError(path, f"transfer tests without {missing}")
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=list(TRANSFER_TEST_COLUMNS))
    return pd.concat(tables, ignore_index=True)
