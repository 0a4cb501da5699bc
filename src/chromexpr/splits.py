"""The gene split: which genes train, which select the epoch (valid) and which test, per fold.

Three methods (config ``split.method``):

- ``published``: the Ensembl-ordered gene table cut into contiguous train / valid / test parts
  (DeepChrome's split); for the published 19,802-row list and equal weights 6601 / 6601 / 6600.
  One fold.
- ``chromosomes``: named test and validation chromosomes, every other chromosome trains
  (Chromoformer's kind of split). One fold.
- ``blocks``: genes sorted by position and cut into blocks of at least ``block_size`` bp; a block
  ends only where the next TSS is more than ``2 x window + margin`` bp on (``split.margin``, the
  longest read or fragment), so windows of different blocks are more than ``margin`` apart and
  no read or fragment counts for a test gene and a training gene. The blocks are dealt to ``folds`` folds (shuffled with ``split.seed``, each to the
  fold with fewest genes so far); fold f tests on its own blocks, validates on fold f + 1's and
  trains on the rest.

The same genes are in the same part in every cell type, so cross-cell experiments never test on a
training gene.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import ConfigError, DatasetMismatchError, InputFormatError
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


SPLIT_METHODS = ("published", "chromosomes", "blocks")
# bp between the windows of two blocks (split.margin's default): longer than a read, a sequenced
# fragment (150-500 bp) or a bigWig's extended signal.
DEFAULT_MARGIN = 1000


def chromosome_split(
    chrom: np.ndarray, test_chromosomes: Sequence[str], valid_chromosomes: Sequence[str]
) -> np.ndarray:
    """Split name per gene [genes]: genes on ``test_chromosomes`` test, on ``valid_chromosomes``
    validate, on every other chromosome train. A named chromosome without genes is an error;
    that both name one is :func:`check_split_keys`'s rule."""
    overlap = sorted(set(test_chromosomes) & set(valid_chromosomes))
    if overlap:
        raise ConfigError(
            "split.valid_chromosomes", f"{overlap} also named in split.test_chromosomes"
        )
    present = set(np.unique(chrom).tolist())
    for key, named in (
        ("split.test_chromosomes", test_chromosomes),
        ("split.valid_chromosomes", valid_chromosomes),
    ):
        absent = [name for name in named if name not in present]
        if absent:
            raise ConfigError(
                key, f"{absent} have no genes; chromosomes with genes: {sorted(present)}"
            )
    split = np.full(len(chrom), "train", dtype=object)
    split[np.isin(chrom, list(valid_chromosomes))] = "valid"
    split[np.isin(chrom, list(test_chromosomes))] = "test"
    if not (split == "train").any():
        raise ConfigError(
            "split.test_chromosomes", "test and validation chromosomes leave no gene to train on"
        )
    return split.astype(str)


def position_blocks(
    chrom: np.ndarray, tss: np.ndarray, block_size: int, window: int, margin: int = DEFAULT_MARGIN
) -> np.ndarray:
    """Block number per gene [genes], numbered along the genome (chromosomes in name order).

    A block starts at a gene and takes every following gene of its chromosome until one lies at
    least ``block_size`` bp past the block's first TSS and more than ``2 * window + margin`` bp
    past the previous gene's TSS (windows TSS +- ``window`` more than ``margin`` bp apart, so no
    read or fragment up to ``margin`` bp long touches both); that gene starts the next block.
    """
    if block_size < 1:
        raise ConfigError("split.block_size", f"must be at least 1 bp, got {block_size}")
    if margin < 0:
        raise ConfigError("split.margin", f"must be at least 0 bp, got {margin}")
    order = np.lexsort((tss, chrom))
    blocks = np.empty(len(chrom), dtype=np.int64)
    block, block_chrom, block_start, previous = -1, None, 0, 0
    for gene in order:
        position = int(tss[gene])
        new_chrom = chrom[gene] != block_chrom
        if new_chrom or (
            position - block_start >= block_size and position - previous > 2 * window + margin
        ):
            block, block_chrom, block_start = block + 1, chrom[gene], position
        blocks[gene] = block
        previous = position
    return blocks


def assign_blocks(blocks: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold per gene [genes] from its block [genes]: the blocks in an order shuffled with
    ``seed``, each given to the fold with the fewest genes so far (the lowest fold on a tie), so
    fold sizes differ by at most the largest block."""
    if folds < 1:
        raise ConfigError("split.folds", f"must be at least 1, got {folds}")
    numbers, sizes = np.unique(blocks, return_counts=True)
    if len(numbers) < folds:
        raise ConfigError(
            "split.block_size",
            f"{len(numbers)} blocks cannot fill {folds} folds; use smaller blocks",
        )
    genes_per_fold = np.zeros(folds, dtype=np.int64)
    fold_of_block = {}
    for index in np.random.default_rng(seed).permutation(len(numbers)):
        fold = int(np.argmin(genes_per_fold))
        fold_of_block[numbers[index]] = fold
        genes_per_fold[fold] += sizes[index]
    return np.array([fold_of_block[block] for block in blocks], dtype=np.int64)


def fold_split(gene_folds: np.ndarray, fold: int, folds: int) -> np.ndarray:
    """Split name per gene [genes] of ``fold``: its genes test, fold + 1's (cyclically)
    validate, the others train."""
    split = np.full(len(gene_folds), "train", dtype=object)
    split[gene_folds == (fold + 1) % folds] = "valid"
    split[gene_folds == fold] = "test"
    return split.astype(str)


def check_split_keys(config: Mapping[str, Any]) -> None:
    """What the split keys (``config``: the ``split`` config key) must hold before any gene is
    seen: one fold for the published and chromosomes splits, at least 3 for blocks, and test and
    validation chromosomes named for the chromosomes split."""
    method = config.get("method", "published")
    folds = config.get("folds", 1)
    if method in ("published", "chromosomes") and folds != 1:
        raise ConfigError("split.folds", f"the {method} split has one fold, got {folds}")
    if method == "blocks" and folds < 3:
        raise ConfigError(
            "split.folds",
            f"the blocks split needs at least 3 folds (test, valid, train), got {folds}",
        )
    if method == "chromosomes":
        for key in ("test_chromosomes", "valid_chromosomes"):
            if not config.get(key):
                raise ConfigError(
                    f"split.{key}", "the chromosomes split needs at least one chromosome"
                )


def method_splits(genes: pd.DataFrame, config: Mapping[str, Any], window: int) -> list[np.ndarray]:
    """The split of every fold, in fold order, as ``config`` (the ``split`` config key) asks;
    ``window`` is the bins' half-width (``bins.window``). ``genes`` is the gene table."""
    check_split_keys(config)
    method = config.get("method", "published")
    folds = config.get("folds", 1)
    if method == "published":
        return [contiguous_split(len(genes), config)]
    if method == "chromosomes":
        return [
            chromosome_split(
                genes["chrom"].to_numpy(str),
                config.get("test_chromosomes", []),
                config.get("valid_chromosomes", []),
            )
        ]
    if method == "blocks":
        blocks = position_blocks(
            genes["chrom"].to_numpy(str),
            genes["tss"].to_numpy(np.int64),
            config["block_size"],
            window,
            config.get("margin", DEFAULT_MARGIN),
        )
        gene_folds = assign_blocks(blocks, folds, config.get("seed", 1))
        return [fold_split(gene_folds, fold, folds) for fold in range(folds)]
    raise ConfigError("split.method", f"unknown method {method!r}; expected one of {SPLIT_METHODS}")


def check_disjoint_splits(parts: Mapping[object, Sequence[str]]) -> None:
    """Gene ids [genes] of each part of a split, by the file or name that holds it: a gene in
    two parts (a test file copied from the training file) would be tested on what trained, so
    it is a DatasetMismatchError naming both and the count of shared genes."""
    seen: list[tuple[object, set[str]]] = []
    for name, gene_ids in parts.items():
        genes = set(np.asarray(gene_ids, dtype=str).tolist())
        for other, other_genes in seen:
            shared = genes & other_genes
            if shared:
                raise DatasetMismatchError(
                    f"{other} and {name} share {len(shared)} genes (first "
                    f"{sorted(shared)[0]}): a gene must train, validate or test, not two of them"
                )
        seen.append((name, genes))


def write_split_table(gene_ids, split: np.ndarray, path: str | os.PathLike[str]) -> None:
    table = pd.DataFrame({"gene_id": list(gene_ids), "split": split})
    write_tsv(table, path)


def read_split_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The split table of ``path`` (``gene_id``, ``split``); a gene in two parts is an error."""
    table = pd.read_csv(path, sep="\t", dtype=str)
    if list(table.columns[:2]) != ["gene_id", "split"]:
        raise InputFormatError(path, "not a split table: expected columns gene_id, split", 1)
    unknown = set(table["split"]) - set(SPLITS)
    if unknown:
        raise InputFormatError(path, f"unknown split names {sorted(unknown)}")
    check_disjoint_splits(
        {f"{path} ({split})": table["gene_id"][table["split"] == split] for split in SPLITS}
    )
    return table


def dataset_with_split(dataset: CellDataset, split_path: str | os.PathLike[str]) -> CellDataset:
    """``dataset`` with the split of the split table at ``split_path`` (one fold's), which must
    list the dataset's genes in its order."""
    table = read_split_table(split_path)
    if not np.array_equal(table["gene_id"].to_numpy(str), dataset.gene_ids):
        raise DatasetMismatchError(
            f"{split_path}: genes differ from the dataset of cell {dataset.cell}; rerun the workflow"
        )
    return replace(dataset, split=table["split"].to_numpy(str))


def write_gene_splits(
    genes_path: str | os.PathLike[str],
    config: Mapping[str, Any],
    window: int,
    out_paths: Sequence[str | os.PathLike[str]],
) -> list[np.ndarray]:
    """Write the split table of every fold (``out_paths``, in fold order) of the gene table."""
    genes = read_gene_table(genes_path)
    splits = method_splits(genes, config, window)
    if len(splits) != len(out_paths):
        raise ConfigError("split.folds", f"{len(splits)} folds, but {len(out_paths)} output tables")
    for fold, (split, path) in enumerate(zip(splits, out_paths, strict=True)):
        write_split_table(genes["gene_id"], split, path)
        sizes = pd.Series(split).value_counts()
        logger.info(
            f"fold {fold}, {len(genes)} genes: "
            + ", ".join(f"{name} {sizes.get(name, 0)}" for name in SPLITS)
        )
    return splits
