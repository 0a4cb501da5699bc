"""REMC expression table ``57epigenomes.RPKM.pc``: ``gene_id`` then one RPKM column per epigenome."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chromexpr.errors import InputFormatError


def read_rpkm_table(path: str | os.PathLike[str], cells: Sequence[str]) -> pd.DataFrame:
    """RPKM [genes, cells] indexed by Ensembl id, with exactly the columns ``cells``.

    Columns not asked for (E000, the universal reference, and unconfigured cell types) are
    ignored. Duplicate gene ids, missing cells and NaN, negative or non-numeric values are errors.
    """
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, compression="infer")
    except (OSError, EOFError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputFormatError(path, f"cannot read RPKM table: {error}") from error
    if table.empty or table.columns[0] != "gene_id":
        raise InputFormatError(path, "header must start with 'gene_id'", 1)
    missing = [cell for cell in cells if cell not in table.columns]
    if missing:
        raise InputFormatError(
            path,
            f"cell types {missing} of config key 'cells' have no column "
            f"(available: {list(table.columns[1:])})",
            1,
        )
    duplicated = table["gene_id"][table["gene_id"].duplicated()]
    if len(duplicated):
        line = int(duplicated.index[0]) + 2
        raise InputFormatError(path, f"gene id {duplicated.iloc[0]} appears more than once", line)
    values = table.set_index("gene_id")[list(cells)]
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() | (numeric < 0)
    if bad.to_numpy().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        raise InputFormatError(
            path,
            f"gene {values.index[row]} cell {values.columns[column]}: RPKM "
            f"{values.iat[row, column]!r} is not a non-negative number",
            int(row) + 2,
        )
    return numeric.astype(np.float64)
