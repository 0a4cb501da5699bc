"""The demo's second style: "your own data" as an ENCODE-like hg38 study would bring it.

The same seeded biology as the REMC-style mirror (:func:`chromexpr.demo.write_demo_mirror`,
genes of chr1 and chr21, hg38 chrom sizes), written as the files of ``config/encode-hg38.yaml``
and a sample sheet naming them, in the variety of layouts the sheet accepts:

- the first sample: coordinate-sorted BAMs without an index, its H3K4me3 in two replicates
  (the reads dealt alternately), each fetched by a ``file:`` URL;
- the second: coordinate-unsorted BAMs whose contigs are named the Ensembl way (``1``, ``21``,
  ``MT``), read in place;
- the third: a paired-end BAM (each read becomes a properly paired fragment of 150-250 bp), an
  uncompressed tagAlign and a gzip BED3 file;
- H3K9me3 of every sample: a bigWig of read starts per 100 bp (signal, averaged per bin).

Expression and annotation come twice: REMC's layout (the RPKM matrix with one column per sample,
gene_info) under ``generated/``, and ENCODE's: a GENCODE-style GTF (``gencode.gtf.gz``: versioned
gene ids, UCSC contig names, one ``Ensembl_canonical`` transcript per gene, and lncRNA genes
beside the protein-coding ones) and one RSEM ``genes.results`` per sample
(``{sample}.genes.results``: the same genes, versioned, their RPKM rescaled to TPM, plus the
lncRNA genes and two ERCC spike-ins). Reads on contigs hg38 lacks (the demo's chrEBV) are left
out, as an aligner to hg38 would not report them.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pysam

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.demo.biology import READ_LENGTH
from chromexpr.demo.mirror import (
    DEMO_MARKS,
    GENE_INFO_NAME,
    RPKM_NAME,
    tagalign_name,
    write_demo_mirror,
)
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.tagalign import read_tagalign_chunks

logger = logging.getLogger(__name__)

HG38_CHROM_SIZES = Path(__file__).resolve().parents[3] / "resources" / "hg38.chrom.sizes"
SHEET_NAME = "samples.tsv"
SIGNAL_MARK = "H3K9me3"
REPLICATED_MARK = "H3K4me3"
PAIRED_MARK = "H3K4me3"
SIGNAL_BIN = 100
FRAGMENT_LENGTHS = (150, 250)
ENSEMBL_NAMES = {"chrM": "MT"}
GTF_NAME = "gencode.gtf.gz"
RSEM_SUFFIX = ".genes.results"
NONCODING_GENES = 20
SPIKE_INS = ("gSpikein_ERCC-00002", "gSpikein_ERCC-00003")
# Fewer background reads than the REMC-style demo: BAMs are written read by read.
BACKGROUND_READS_PER_MB = 50.0


def _ensembl_name(chrom: str) -> str:
    return ENSEMBL_NAMES.get(chrom, chrom.removeprefix("chr"))


def _sam_header(contigs: dict[str, int], sort_order: str) -> str:
    lines = [f"@HD\tVN:1.6\tSO:{sort_order}"]
    lines += [f"@SQ\tSN:{name}\tLN:{length}" for name, length in contigs.items()]
    return "\n".join(lines) + "\n"


def _single_end_records(reads: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "qname": [f"r{i}" for i in range(len(reads))],
            "flag": np.where(reads["strand"] == "-", 16, 0),
            "chrom": reads["chrom"].to_numpy(),
            "pos": reads["start"].to_numpy() + 1,
            "cigar": f"{READ_LENGTH}M",
            "rnext": "*",
            "pnext": 0,
            "tlen": 0,
        }
    )


def _paired_end_records(
    reads: pd.DataFrame, contigs: dict[str, int], rng: np.random.Generator
) -> pd.DataFrame:
    """Each read becomes a proper pair: it is the forward (+) or reverse (-) mate of a fragment."""
    lengths = rng.integers(*FRAGMENT_LENGTHS, len(reads), endpoint=True)
    forward = reads["strand"].to_numpy() == "+"
    left = np.where(forward, reads["start"], reads["end"] - lengths)
    chrom_end = reads["chrom"].map(contigs).to_numpy()
    inside = (left >= 0) & (left + lengths <= chrom_end)
    left, lengths, chroms = left[inside], lengths[inside], reads["chrom"].to_numpy()[inside]
    right = left + lengths - READ_LENGTH
    names = [f"p{i}" for i in range(len(left))]
    first_is_left = rng.random(len(left)) < 0.5
    mates = []
    for left_mate_first in (True, False):
        is_first = first_is_left == left_mate_first
        mates.append(
            pd.DataFrame(
                {
                    "qname": names,
                    # paired, proper, mate reverse (left mate) / reverse (right mate), first/second
                    "flag": (0x1 | 0x2)
                    | (0x20 if left_mate_first else 0x10)
                    | np.where(is_first, 0x40, 0x80),
                    "chrom": chroms,
                    "pos": (left if left_mate_first else right) + 1,
                    "cigar": f"{READ_LENGTH}M",
                    "rnext": "=",
                    "pnext": (right if left_mate_first else left) + 1,
                    "tlen": lengths if left_mate_first else -lengths,
                }
            )
        )
    return pd.concat(mates, ignore_index=True)


def _write_bam(
    path: Path,
    records: pd.DataFrame,
    contigs: dict[str, int],
    coordinate_sorted: bool,
    rename=None,
) -> None:
    """A BAM of ``records`` (SAM fields), sorted by coordinate or left in a shuffled order."""
    if rename is not None:
        records = records.assign(chrom=records["chrom"].map(rename))
        contigs = {rename(name): length for name, length in contigs.items()}
    records = records.assign(mapq=60, seq="*", qual="*")
    columns = ["qname", "flag", "chrom", "pos", "mapq", "cigar", "rnext", "pnext", "tlen"]
    sam = path.with_suffix(".sam")
    sam.write_text(_sam_header(contigs, "coordinate" if coordinate_sorted else "unsorted"))
    records[[*columns, "seq", "qual"]].to_csv(sam, sep="\t", header=False, index=False, mode="a")
    with atomic_path(path, suffix=".bam") as tmp:
        if coordinate_sorted:
            pysam.sort("--no-PG", "-o", str(tmp), str(sam))
        else:
            pysam.view("--no-PG", "-b", "-o", str(tmp), str(sam), catch_stdout=False)
    sam.unlink()


def _write_signal(path: Path, reads: pd.DataFrame, contigs: dict[str, int]) -> None:
    """Read starts per 100 bp as a bigWig."""
    binned = (
        reads.assign(bin=reads["start"] // SIGNAL_BIN)
        .groupby(["chrom", "bin"], sort=False)
        .size()
        .rename("value")
        .reset_index()
    )
    with atomic_path(path, suffix=".bigwig") as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        present = set(binned["chrom"].unique())
        chroms = [chrom for chrom in contigs if chrom in present]
        handle.addHeader([(chrom, contigs[chrom]) for chrom in chroms])
        for chrom in chroms:
            rows = binned[binned["chrom"] == chrom].sort_values("bin")
            starts = rows["bin"].to_numpy(np.int64) * SIGNAL_BIN
            ends = np.minimum(starts + SIGNAL_BIN, contigs[chrom])
            handle.addEntries(
                [chrom] * len(rows),
                starts.tolist(),
                ends=ends.tolist(),
                values=rows["value"].astype(float).tolist(),
            )
        handle.close()


def _demo_genes(remc_style: Path) -> pd.DataFrame:
    """The REMC-style gene_info of the demo: gene_id, chrom (UCSC), start, end, strand, symbol."""
    genes = pd.read_csv(
        remc_style / GENE_INFO_NAME,
        sep="\t",
        header=None,
        usecols=range(7),
        names=["gene_id", "chrom", "start", "end", "strand", "biotype", "symbol"],
        dtype={"chrom": str},
    )
    return genes.assign(chrom="chr" + genes["chrom"], strand=genes["strand"].map({1: "+", -1: "-"}))


def _versioned(gene_ids: pd.Series, rng: np.random.Generator) -> pd.Series:
    return (
        gene_ids
        + "."
        + pd.Series(rng.integers(1, 20, len(gene_ids)), index=gene_ids.index).astype(str)
    )


def _gtf_lines(genes: pd.DataFrame) -> list[str]:
    """gene, canonical transcript and one exon per gene, GENCODE's attributes."""
    lines = []
    for gene in genes.itertuples(index=False):
        gene_attributes = (
            f'gene_id "{gene.versioned}"; gene_type "{gene.biotype}"; gene_name "{gene.symbol}";'
        )
        transcript = f'transcript_id "{gene.versioned.replace("ENSG", "ENST")}";'
        location = f"{gene.chrom}\tHAVANA\t{{}}\t{gene.start}\t{gene.end}\t.\t{gene.strand}\t.\t"
        lines.append(location.format("gene") + f"{gene_attributes} level 2;")
        lines.append(
            location.format("transcript")
            + f'{gene_attributes} {transcript} tag "basic"; tag "Ensembl_canonical"; level 2;'
        )
        lines.append(
            location.format("exon") + f"{gene_attributes} {transcript} exon_number 1; level 2;"
        )
    return lines


def _write_encode_expression(
    out_dir: Path, remc_style: Path, samples: Sequence[str], seed: int
) -> None:
    """A GENCODE-style GTF and one RSEM genes.results per sample (module docstring)."""
    rng = np.random.default_rng([seed, zlib.crc32(b"gencode")])
    genes = _demo_genes(remc_style)
    genes = genes.assign(versioned=_versioned(genes["gene_id"], rng))
    noncoding = genes.sample(NONCODING_GENES, random_state=rng).assign(
        biotype="lncRNA", symbol=lambda table: "LINC" + table["symbol"]
    )
    noncoding = noncoding.assign(
        start=noncoding["start"] + 20_000,
        end=noncoding["end"] + 20_000,
        versioned=[f"ENSG9{i:010d}.1" for i in range(len(noncoding))],
    )
    annotated = pd.concat([genes, noncoding], ignore_index=True).sort_values(["chrom", "start"])
    with atomic_path(out_dir / GTF_NAME, suffix=".gz") as tmp, gzip.open(tmp, "wt") as handle:
        handle.write("##description: demo annotation in GENCODE's GTF layout\n")
        handle.write("\n".join(_gtf_lines(annotated)) + "\n")
    rpkm = pd.read_csv(remc_style / RPKM_NAME, sep="\t", index_col="gene_id")
    versioned = genes.set_index("gene_id")["versioned"]
    lengths = genes.set_index("gene_id")["end"] - genes.set_index("gene_id")["start"] + 1
    for sample in samples:
        # Genes of the RPKM table that the annotation lacks keep their id, unversioned.
        values = rpkm[sample]
        tpm = pd.concat(
            [
                values / values.sum() * 1e6 if values.sum() else values,
                pd.Series(rng.gamma(0.5, 2.0, NONCODING_GENES), index=noncoding["versioned"]),
                pd.Series(rng.gamma(2.0, 50.0, len(SPIKE_INS)), index=list(SPIKE_INS)),
            ]
        )
        ids = [versioned.get(gene_id, gene_id) for gene_id in tpm.index]
        table = pd.DataFrame(
            {
                "gene_id": ids,
                "transcript_id(s)": [gene_id.replace("ENSG", "ENST") for gene_id in ids],
                "length": [float(lengths.get(gene_id, 1000)) for gene_id in tpm.index],
                "effective_length": [
                    max(float(lengths.get(gene_id, 1000)) - 100, 1.0) for gene_id in tpm.index
                ],
                "expected_count": (tpm.to_numpy() * 3).round(2),
                "TPM": tpm.to_numpy().round(2),
                "FPKM": (tpm.to_numpy() * 0.8).round(2),
            }
        )
        write_tsv(table, out_dir / f"{sample}{RSEM_SUFFIX}")


def write_own_data_demo(
    out_dir: Path,
    samples: Sequence[str],
    marks: Sequence[str] = DEMO_MARKS,
    seed: int = 1,
    n_genes: int | None = None,
    chrom_sizes: Path = HG38_CHROM_SIZES,
) -> Path:
    """Write the files of three or more samples and the sample sheet naming them; return the
    sheet's path. Paths in the sheet are ``out_dir``'s files as ``out_dir`` is given (relative
    to the working directory where ``out_dir`` is relative)."""
    if len(samples) < 3:
        raise ValueError(f"the own-data demo writes three layouts; got samples {list(samples)}")
    out_dir = Path(out_dir)
    remc_style = out_dir / "generated"
    write_demo_mirror(
        remc_style,
        samples,
        marks,
        seed=seed,
        n_genes=n_genes,
        background_reads_per_mb=BACKGROUND_READS_PER_MB,
        chrom_sizes=chrom_sizes,
    )
    _write_encode_expression(out_dir, remc_style, samples, seed)
    contigs = read_chrom_sizes(chrom_sizes)
    rows = []
    for number, sample in enumerate(samples):
        layout = number % 3
        for mark_number, mark in enumerate(marks):
            reads = pd.concat(read_tagalign_chunks(remc_style / tagalign_name(sample, mark)))
            reads = reads[reads["chrom"].isin(list(contigs))].reset_index(drop=True)
            present = set(reads["chrom"].unique())
            used = {chrom: length for chrom, length in contigs.items() if chrom in present}
            rng = np.random.default_rng(
                [seed, zlib.crc32(sample.encode()), zlib.crc32(mark.encode())]
            )
            stem = out_dir / f"{sample}-{mark}"
            if mark == SIGNAL_MARK:
                _write_signal(stem.with_suffix(".bigwig"), reads, used)
                rows.append((sample, mark, "1", str(stem.with_suffix(".bigwig")), "bigwig"))
            elif layout == 0:
                parts = [reads.iloc[0::2], reads.iloc[1::2]] if mark == REPLICATED_MARK else [reads]
                for replicate, part in enumerate(parts, start=1):
                    path = out_dir / f"{sample}-{mark}-rep{replicate}.bam"
                    _write_bam(path, _single_end_records(part), used, coordinate_sorted=True)
                    rows.append((sample, mark, str(replicate), f"file:{path}", "bam"))
            elif layout == 1:
                records = _single_end_records(reads).sample(frac=1.0, random_state=rng)
                path = stem.with_suffix(".bam")
                _write_bam(path, records, used, coordinate_sorted=False, rename=_ensembl_name)
                rows.append((sample, mark, "1", str(path), "bam"))
            elif mark == PAIRED_MARK:
                path = stem.with_suffix(".bam")
                _write_bam(path, _paired_end_records(reads, used, rng), used, True)
                rows.append((sample, mark, "1", str(path), "bam"))
            elif mark_number % 2:
                path = out_dir / f"{sample}-{mark}.bed.gz"
                reads[["chrom", "start", "end"]].to_csv(path, sep="\t", header=False, index=False)
                rows.append((sample, mark, "1", str(path), "bed"))
            else:
                path = stem.with_suffix(".tagAlign")
                reads.assign(name="N", score=1000)[
                    ["chrom", "start", "end", "name", "score", "strand"]
                ].to_csv(path, sep="\t", header=False, index=False)
                rows.append((sample, mark, "1", str(path), "tagalign"))
            logger.info(f"own-data demo: {sample} {mark}: {len(reads)} reads")
    sheet = out_dir / SHEET_NAME
    write_tsv(pd.DataFrame(rows, columns=["sample", "mark", "replicate", "path", "format"]), sheet)
    return sheet
