"""The demo mirror's files, in the exact REMC formats (written by ``python -m chromexpr.demo``).

File quirks copied from the real files: gene_info has no ``chr`` prefix, strands ``1``/``-1``,
about 2 % rows with extra trailing tabs, and three genes on ``HSCHR6_MHC_COX`` (a contig that
hg19 lacks); the RPKM table holds two genes that gene_info lacks.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pybedtools

from chromexpr.atomic import atomic_path
from chromexpr.demo.biology import (
    DEMO_MARKS,
    DEPTH_FACTOR_RANGE,
    GENE_CHROMS,
    Genes,
    activity_of,
    rpkm_from_activity,
    simulate_reads,
    switch_states,
    switching_genes,
)
from chromexpr.errors import ConfigError
from chromexpr.io.chrom_sizes import read_chrom_sizes

logger = logging.getLogger(__name__)

GENE_INFO_NAME = "Ensembl_v65.Gencode_v10.ENSG.gene_info"
RPKM_NAME = "57epigenomes.RPKM.pc.gz"
DEFAULT_CHROM_SIZES = Path(__file__).resolve().parents[3] / "resources" / "hg19.chrom.sizes"
DEFAULT_BACKGROUND_READS_PER_MB = 1000.0
# Genes on an MHC haplotype contig that hg19.chrom.sizes lacks: in gene_info and the RPKM table.
ALT_CONTIG = "HSCHR6_MHC_COX"
ALT_CONTIG_GENES = (
    ("HLA-A", 1_910_000, 1_913_000, 1),
    ("HLA-C", 2_660_000, 2_663_400, -1),
    ("HLA-B", 2_720_000, 2_723_300, -1),
)
RPKM_ONLY_GENES = 2
QUIRK_ROW_FRACTION = 0.02


@dataclass(frozen=True)
class DemoSummary:
    """What `write_demo_mirror` wrote: every path, the hg19 gene count and reads per tagAlign."""

    paths: tuple[Path, ...]
    n_genes: int
    reads_per_file: Mapping[str, int]


def tagalign_name(cell: str, mark: str) -> str:
    """File name REMC uses for the reads of one cell type and mark."""
    return f"{cell}-{mark}.tagAlign.gz"


def write_demo_mirror(
    out_dir: Path,
    cells: Sequence[str],
    marks: Sequence[str],
    seed: int = 1,
    n_genes: int | None = None,
    background_reads_per_mb: float = DEFAULT_BACKGROUND_READS_PER_MB,
    chrom_sizes: Path = DEFAULT_CHROM_SIZES,
    switching: float = 0.0,
) -> DemoSummary:
    """Write gene_info, the RPKM table and one tagAlign per cell x mark into ``out_dir``.

    ``n_genes`` keeps a seeded random subset of the RefSeq genes (None: all, about 3000).
    ``switching``: the share of genes that switch state between cell types
    (``chromexpr.demo.biology``; 0 draws nothing and changes no file).
    Every file is written atomically; the same arguments give byte-identical files.
    """
    unknown_marks = sorted(set(marks) - set(DEMO_MARKS))
    if unknown_marks:
        raise ConfigError(
            "marks", f"the demo has no model for {unknown_marks}; known: {DEMO_MARKS}"
        )
    out_dir = Path(out_dir)
    contig_lengths = read_chrom_sizes(Path(chrom_sizes))
    draws = draw_genes(seed, n_genes)
    genes, gene_rng = draws.genes, draws.rng
    logger.info(
        f"demo: {len(genes.ensembl_ids)} hg19 genes, {len(cells)} cells, {len(marks)} marks"
    )
    expressed_ids = np.concatenate([genes.ensembl_ids, draws.alt_ids, draws.rpkm_only_ids])
    # No share draws nothing: the files are those of a demo without switching genes.
    switching_mask = (
        switching_genes(seed, len(genes.ensembl_ids), switching) if switching > 0 else None
    )
    if switching_mask is not None:
        logger.info(f"demo: {int(switching_mask.sum())} genes switch state between cell types")

    paths = [out_dir / GENE_INFO_NAME]
    _write_gene_info(paths[0], gene_rng, genes, draws.alt_ids)
    rpkm_columns = {}
    reads_per_file = {}
    for cell in cells:
        # Generators keyed by name, so a cell type's files do not depend on which others are listed.
        cell_rng = np.random.default_rng([seed, zlib.crc32(cell.encode())])
        cell_specific_activity = cell_rng.standard_normal(len(expressed_ids))
        states = (
            switch_states(seed, cell, len(genes.ensembl_ids))
            if switching_mask is not None
            else None
        )
        activity = activity_of(
            draws.shared_activity, cell_specific_activity, switching_mask, states
        )
        rpkm_columns[cell] = rpkm_from_activity(cell_rng, activity)
        gene_activity = activity[: len(genes.ensembl_ids)]
        for mark in marks:
            read_rng = np.random.default_rng(
                [seed, zlib.crc32(cell.encode()), zlib.crc32(mark.encode())]
            )
            depth = read_rng.uniform(*DEPTH_FACTOR_RANGE)
            reads = simulate_reads(
                read_rng,
                mark,
                genes,
                gene_activity,
                draws.polycomb_propensity,
                depth,
                background_reads_per_mb,
                contig_lengths,
            )
            path = out_dir / tagalign_name(cell, mark)
            _write_tagalign(path, reads)
            reads_per_file[path.name] = len(reads)
            paths.append(path)
            logger.info(f"demo: wrote {path.name} ({len(reads)} reads, depth factor {depth:.2f})")
    paths.append(out_dir / RPKM_NAME)
    _write_rpkm(paths[-1], expressed_ids, rpkm_columns)
    logger.info(f"demo: wrote {GENE_INFO_NAME} and {RPKM_NAME} into {out_dir}")
    return DemoSummary(tuple(paths), len(genes.ensembl_ids), reads_per_file)


@dataclass(frozen=True)
class GeneDraws:
    """The draws of the demo's gene generator before any file is written: the genes, the ids
    of the extra genes, each gene's shared activity and Polycomb propensity, and the generator,
    which goes on to draw the gene_info quirks."""

    genes: Genes
    alt_ids: np.ndarray  # [alt-contig genes] str
    rpkm_only_ids: np.ndarray  # [genes only the RPKM table has] str
    shared_activity: np.ndarray  # [genes + alt + RPKM-only] float
    polycomb_propensity: np.ndarray  # [genes] float in [0, 1)
    rng: np.random.Generator


def draw_genes(seed: int, n_genes: int | None) -> GeneDraws:
    """The gene generator's draws of ``write_demo_mirror`` for ``seed`` and ``n_genes``, in its
    order (so the truth of ``chromexpr.demo.switching`` replays them exactly)."""
    rng = np.random.default_rng(seed)
    genes = pick_genes(rng, n_genes)
    alt_ids, rpkm_only_ids = _extra_ensembl_ids(rng, genes.ensembl_ids)
    n_expressed = len(genes.ensembl_ids) + len(alt_ids) + len(rpkm_only_ids)
    shared_activity = rng.standard_normal(n_expressed)
    polycomb_propensity = rng.uniform(size=len(genes.ensembl_ids))
    return GeneDraws(genes, alt_ids, rpkm_only_ids, shared_activity, polycomb_propensity, rng)


def pick_genes(rng: np.random.Generator, n_genes: int | None) -> Genes:
    """RefSeq genes deduplicated on (chrom, strand, TSS), optionally subsampled; genomic order."""
    gff = pd.read_csv(
        pybedtools.example_filename("hg19.gff"),
        sep="\t",
        header=None,
        comment="#",
        usecols=[0, 2, 3, 4, 6, 8],
        names=["chrom", "feature", "start", "end", "strand", "attrs"],
    )
    gff = gff[(gff["feature"] == "gene") & gff["chrom"].isin(GENE_CHROMS)].copy()
    gff["symbol"] = gff["attrs"].str.extract(r"ID=([^;]+)", expand=False)
    gff["strand"] = np.where(gff["strand"] == "+", 1, -1)
    gff["tss"] = np.where(gff["strand"] == 1, gff["start"], gff["end"])
    # Transcripts sharing a TSS are one promoter; keep the longest as "the gene".
    gff["length"] = gff["end"] - gff["start"]
    gff = gff.sort_values(["chrom", "tss", "strand", "length", "symbol"], ascending=[1, 1, 1, 0, 1])
    gff = gff.drop_duplicates(["chrom", "strand", "tss"]).reset_index(drop=True)
    if n_genes is not None:
        if not 0 < n_genes <= len(gff):
            raise ConfigError("n_genes", f"must be in 1..{len(gff)}, got {n_genes}")
        gff = gff.iloc[np.sort(rng.choice(len(gff), n_genes, replace=False))]
    ensembl_ids = _random_ensembl_ids(rng, len(gff), taken=np.array([], dtype=str))
    return Genes(
        ensembl_ids=ensembl_ids,
        symbols=gff["symbol"].to_numpy(str),
        chroms=gff["chrom"].to_numpy(str),
        starts=gff["start"].to_numpy(np.int64),
        ends=gff["end"].to_numpy(np.int64),
        strands=gff["strand"].to_numpy(np.int64),
    )


def _random_ensembl_ids(rng: np.random.Generator, count: int, taken: np.ndarray) -> np.ndarray:
    """``count`` distinct ``ENSG`` + 11-digit ids not in ``taken``, in random order. [count] str."""
    taken_numbers = {int(ensembl_id[4:]) for ensembl_id in taken}
    numbers = rng.choice(300_000 - len(taken_numbers), count, replace=False) + 1
    # Skip over taken numbers so the result stays distinct from them without redrawing.
    for taken_number in sorted(taken_numbers):
        numbers[numbers >= taken_number] += 1
    return np.array([f"ENSG{number:011d}" for number in numbers])


def _extra_ensembl_ids(rng: np.random.Generator, gene_ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ids of the alt-contig genes and of the genes only the RPKM table has."""
    extra_ids = _random_ensembl_ids(rng, len(ALT_CONTIG_GENES) + RPKM_ONLY_GENES, taken=gene_ids)
    return extra_ids[: len(ALT_CONTIG_GENES)], extra_ids[len(ALT_CONTIG_GENES) :]


def _write_gene_info(
    path: Path, rng: np.random.Generator, genes: Genes, alt_ids: np.ndarray
) -> None:
    """gene_info rows sorted by Ensembl id; a few rows end with extra tabs, as in the real file."""
    alt_symbols, alt_starts, alt_ends, alt_strands = zip(*ALT_CONTIG_GENES, strict=True)
    table = pd.DataFrame(
        {
            "gene_id": np.concatenate([genes.ensembl_ids, alt_ids]),
            "chrom": np.concatenate(
                [np.char.replace(genes.chroms, "chr", ""), [ALT_CONTIG] * len(ALT_CONTIG_GENES)]
            ),
            "start": np.concatenate([genes.starts, alt_starts]),
            "end": np.concatenate([genes.ends, alt_ends]),
            "strand": np.concatenate([genes.strands, alt_strands]),
            "biotype": "protein_coding",
            "symbol": np.concatenate([genes.symbols, alt_symbols]),
        }
    )
    table["description"] = "demo gene " + table["symbol"] + " [Source:demo]"
    n_quirk_rows = max(1, round(QUIRK_ROW_FRACTION * len(table)))
    quirk_rows = rng.choice(len(table), n_quirk_rows, replace=False)
    extra_tabs = np.full(len(table), "", dtype=object)
    extra_tabs[quirk_rows] = ["\t" * n for n in rng.integers(1, 4, n_quirk_rows)]
    table["description"] += extra_tabs
    table = table.sort_values("gene_id")
    lines = table.astype(str).agg("\t".join, axis=1) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text("".join(lines))


def _write_rpkm(path: Path, gene_ids: np.ndarray, rpkm_columns: dict[str, np.ndarray]) -> None:
    """RPKM table sorted by gene id, E000 (mean of the cell types) first, 3 decimals, gzip."""
    table = pd.DataFrame(rpkm_columns).round(3)
    table.insert(0, "E000", table.mean(axis=1) if rpkm_columns else 0.0)
    table.insert(0, "gene_id", gene_ids)
    text = table.sort_values("gene_id").to_csv(sep="\t", index=False, float_format="%.3f")
    with atomic_path(path) as tmp:
        _write_gzip(tmp, text.encode())


def _write_tagalign(path: Path, reads: pd.DataFrame) -> None:
    """tagAlign (BED6: chrom, start, end, N, 1000, strand), gzip with a fixed header."""
    bed6 = reads.assign(name="N", score=1000)[["chrom", "start", "end", "name", "score", "strand"]]
    text = bed6.to_csv(sep="\t", header=False, index=False)
    with atomic_path(path) as tmp:
        _write_gzip(tmp, text.encode())


def _write_gzip(path: Path, data: bytes) -> None:
    """gzip with mtime 0 and no file name in the header, so output bytes depend only on data."""
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=2) as compressed,
    ):
        compressed.write(data)
