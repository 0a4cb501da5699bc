"""The per-cell dataset: one compressed numpy archive (``.npz``) per cell type.

Layout of ``results/datasets/{cell}.npz`` (every array has one row per gene, in split order):

====================  ====================  ==================================================
key                   shape / dtype         meaning
====================  ====================  ==================================================
``cell``              scalar str            cell type id, e.g. ``E003``
``gene_ids``          [genes] str           Ensembl gene id (a published-set id may appear
                                            twice)
``symbols``           [genes] str           gene symbol
``chrom``             [genes] str           chromosome (UCSC naming, ``chr1``)
``tss``               [genes] int64         0-based TSS position
``strand``            [genes] str           ``+``, ``-`` or ``.`` (unknown)
``counts``            [genes, marks, bins]  read counts (int32); float32 where any mark is signal
``labels``            [genes] int8          1 if expression >= the cell type's median, else 0
``expression``        [genes] float64       the cell type's expression, in ``expression_unit``
``expression_unit``   scalar str            ``rpkm``, ``fpkm``, ``tpm`` or ``unknown``
``split``             [genes] str           ``train``, ``valid`` or ``test``
``marks``             [marks] str           mark names, in the order of the counts' second
                                            axis
``bin_offsets``       [bins] int64          start of each bin relative to the TSS (genomic
                                            order)
``mark_kinds``        [marks] str           each mark's input kind: ``reads`` (counted reads)
                                            or ``signal`` (a bigWig's mean). Optional: where
                                            absent (written before it was recorded) every
                                            mark is ``reads`` for integer counts, else
                                            ``signal``
``format_version``    scalar int            2. Format 1 (no version) named the expression
                                            ``rpkm`` whatever its unit and had no unit; it is
                                            still read, its unit ``unknown``
====================  ====================  ==================================================

Loading takes milliseconds (``numpy.load``), so every training job reads the whole file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from chromexpr.atomic import atomic_path
from chromexpr.errors import InputFormatError

SPLITS = ("train", "valid", "test")
INPUT_KINDS = ("reads", "signal")
FORMAT_VERSION = 2
# The unit of expression nobody recorded: format-1 datasets, the published processed layout and
# prediction targets (which have no expression).
UNKNOWN_UNIT = "unknown"
# Arrays a dataset may lack (written before they were recorded): taken from the others.
OPTIONAL = ("mark_kinds",)


@dataclass(frozen=True)
class CellDataset:
    """Features, labels and split membership of every gene of one cell type."""

    cell: str
    gene_ids: np.ndarray
    symbols: np.ndarray
    chrom: np.ndarray
    tss: np.ndarray
    strand: np.ndarray
    counts: np.ndarray  # [genes, marks, bins]
    labels: np.ndarray  # [genes]
    expression: np.ndarray  # [genes]
    expression_unit: str
    split: np.ndarray  # [genes]
    marks: np.ndarray  # [marks]
    bin_offsets: np.ndarray  # [bins]
    # [marks] "reads" or "signal"; None: taken from the counts' dtype (see the module docstring)
    mark_kinds: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_genes = len(self.gene_ids)
        for name in ("symbols", "chrom", "tss", "strand", "labels", "expression", "split"):
            if len(getattr(self, name)) != n_genes:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, expected {n_genes}")
        expected = (n_genes, len(self.marks), len(self.bin_offsets))
        if self.counts.shape != expected:
            raise ValueError(f"counts has shape {self.counts.shape}, expected {expected}")
        unknown = set(np.unique(self.split)) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split names {sorted(unknown)}")
        kinds = self.mark_kinds
        if kinds is None:
            kind = "reads" if np.issubdtype(self.counts.dtype, np.integer) else "signal"
            kinds = np.full(len(self.marks), kind)
        # A frozen dataclass: the one place a field is set after construction.
        # Wide enough for either kind, so that a copy can be edited in place.
        object.__setattr__(
            self, "mark_kinds", np.asarray(kinds, dtype=f"U{max(map(len, INPUT_KINDS))}")
        )
        if len(self.mark_kinds) != len(self.marks) or set(self.mark_kinds) - set(INPUT_KINDS):
            raise ValueError(
                f"mark_kinds {self.mark_kinds.tolist()} is not one of {INPUT_KINDS} per mark "
                f"of {self.marks.tolist()}"
            )

    @property
    def n_genes(self) -> int:
        return len(self.gene_ids)

    @property
    def input_kind(self) -> str:
        """``signal`` where any mark is a bigWig's mean signal (or counts were imported with
        fractions), else ``reads``; normalised read counts stay ``reads``."""
        return "signal" if "signal" in set(self.mark_kinds) else "reads"

    def mask(self, split: str) -> np.ndarray:
        """Boolean mask [genes] of the genes in ``split``."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        return self.split == split

    def features(self, split: str) -> np.ndarray:
        """Counts [genes_in_split, marks, bins] of one split."""
        return self.counts[self.mask(split)]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: an interrupted save never leaves a file under ``path``."""
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez_compressed(tmp, format_version=FORMAT_VERSION, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CellDataset:
        """The dataset of ``path``, of this format or of format 1 (expression named ``rpkm``,
        its unit ``unknown``)."""
        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError) as error:
            raise InputFormatError(path, f"cannot read dataset: {error}") from error
        version = int(arrays.pop("format_version", 1))
        if version > FORMAT_VERSION:
            raise InputFormatError(
                path,
                f"dataset format {version} is newer than this chromexpr's ({FORMAT_VERSION}); "
                "update chromexpr",
            )
        if version == 1 and "rpkm" in arrays:
            arrays["expression"] = arrays.pop("rpkm")
            arrays["expression_unit"] = np.asarray(UNKNOWN_UNIT)
        missing = {f.name for f in fields(cls) if f.name not in OPTIONAL} - set(arrays)
        if missing:
            raise InputFormatError(path, f"not a chromexpr dataset: missing {sorted(missing)}")
        values = {f.name: arrays[f.name] for f in fields(cls) if f.name in arrays}
        values["cell"] = str(values["cell"])
        values["expression_unit"] = str(values["expression_unit"])
        return cls(**values)
