"""The published DeepChrome gene list (``resources/deepchrome-genes.tsv``).

19,802 rows in Ensembl-id order: ``ensembl_id, symbol, chrom, tss_1based``. Seven ids appear twice
(two symbols, identical windows); that is where the published 6601/6601/6600 split comes from.
"""

from __future__ import annotations

import os

import pandas as pd

from chromexpr.errors import InputFormatError

_REQUIRED = ["ensembl_id", "symbol", "chrom", "tss_1based"]


def read_published_genes(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Rows in file order with columns ``gene_id, symbol, chrom, tss_1based``."""
    table = pd.read_csv(path, sep="\t", dtype={"ensembl_id": str, "symbol": str, "chrom": str})
    missing = [column for column in _REQUIRED if column not in table.columns]
    if missing:
        raise InputFormatError(path, f"missing columns {missing}", 1)
    if table["tss_1based"].isna().any() or (table["tss_1based"] < 1).any():
        line = int(table.index[table["tss_1based"].isna() | (table["tss_1based"] < 1)][0]) + 2
        raise InputFormatError(path, "tss_1based must be a positive integer", line)
    return table.rename(columns={"ensembl_id": "gene_id"})[
        ["gene_id", "symbol", "chrom", "tss_1based"]
    ].astype({"tss_1based": "int64"})
