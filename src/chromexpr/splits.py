"""The gene split: the Ensembl-ordered gene table cut into contiguous train / valid / test parts.

For the published 19,802-row list and equal weights this gives 6601 / 6601 / 6600. The same genes
are in the same part in every cell type, so cross-cell experiments never test on a training gene.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import SPLITS
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.genome.tss import read_gene_table

logger = logging.getLogger(__name__)


def split_sizes(n_genes: int, weights: Mapping[str, float | int | str]) -> dict[str, int]:
    """Train and valid get ``ceil(n * weight / total)`` genes each; test gets the rest.

    Weights are exact fractions (``1``, ``1``, ``1`` or ``"1/3"``), so thirds of 19,802 are
    6601 / 6601 / 6600 with no floating-point doubt.
    """
    try:
        exact = {name: Fraction(str(weights[name])) for name in SPLITS}
    except KeyError as error:
        raise ConfigError(f"split.{error.args[0]}", "missing split weight") from None
    except ValueError as error:
        raise ConfigError("split", f"weights must be numbers or fractions: {error}") from None
    if any(value < 0 for value in exact.values()) or sum(exact.values()) == 0:
        raise ConfigError("split", "weights must be non-negative and not all zero")
    total = sum(exact.values())
    train = math.ceil(n_genes * exact["train"] / total)
    valid = min(math.ceil(n_genes * exact["valid"] / total), n_genes - train)
    return {"train": train, "valid": valid, "test": n_genes - train - valid}


def contiguous_split(n_genes: int, weights: Mapping[str, float | int | str]) -> np.ndarray:
    """Split name per gene [genes]: the first genes train, then valid, then test."""
    sizes = split_sizes(n_genes, weights)
    return np.repeat(np.array(SPLITS), [sizes[name] for name in SPLITS])


def write_split_table(gene_ids, split: np.ndarray, path: str | os.PathLike[str]) -> None:
    table = pd.DataFrame({"gene_id": list(gene_ids), "split": split})
    write_tsv(table, path)


def read_split_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", dtype=str)
    if list(table.columns[:2]) != ["gene_id", "split"]:
        raise InputFormatError(path, "not a split table: expected columns gene_id, split", 1)
    unknown = set(table["split"]) - set(SPLITS)
    if unknown:
        raise InputFormatError(path, f"unknown split names {sorted(unknown)}")
    return table


def write_gene_split(
    genes_path: str | os.PathLike[str],
    weights: Mapping[str, float | int | str],
    out_path: str | os.PathLike[str],
) -> np.ndarray:
    genes = read_gene_table(genes_path)
    split = contiguous_split(len(genes), weights)
    write_split_table(genes["gene_id"], split, out_path)
    sizes = split_sizes(len(genes), weights)
    logger.info(f"{len(genes)} genes: " + ", ".join(f"{name} {sizes[name]}" for name in SPLITS))
    return split
