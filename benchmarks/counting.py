"""Speed and memory of a counting job, timed whole, as the workflow runs it.

Writes ``--reads`` 36 bp reads on the hg19 contigs (70% spread over the genome by contig length,
30% within 5 kb of a TSS) as a tagAlign.gz, and the gene positions of the published genes
(``resources/deepchrome-genes.tsv``, TSS = ``tss_1based - 1``, 100 bins of 100 bp) as the
workflow's ``results/genes/positions.tsv``. Every step then runs in its own fresh Python
process, timed from outside (interpreter start, imports, reading the inputs and writing the
``.npy`` included), its peak resident memory (``VmHWM``) its own:

- ``floor``: decompress and parse the tagAlign (``read_tagalign_chunks``), nothing else;
- ``count-tagalign``: the count job with ``bam: false`` (:func:`chromexpr.counting.count_bins`
  on the tagAlign, as ``workflow/scripts/count_reads.py`` calls it);
- ``bam``: the tagAlign-to-BAM job (:func:`chromexpr.bam.tagalign_to_bam`), timed beside the
  plain ``zcat | bedtools bedtobam | samtools sort`` + ``samtools index`` on the same file;
- ``count-bam``: the count job with ``bam: true`` (engine fast on the sorted BAM);
- ``multicov``: ``bedtools multicov`` on ``--multicov-bins`` random bins, its time extrapolated
  to all bins (it handles bins one at a time, so its time grows with their number).

The count jobs' matrices are compared with each other on all bins and with multicov's on its
bins. Figures are printed, never asserted.

    .venv/bin/python benchmarks/counting.py                    # 10 M reads, 19,802 genes
    .venv/bin/python benchmarks/counting.py --reads 3000000 --steps floor count-tagalign
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.genome.bins import bin_layout, write_bins_bed
from chromexpr.genome.tss import write_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes

REPO = Path(__file__).resolve().parents[1]
CHROM_SIZES = REPO / "resources" / "hg19.chrom.sizes"
GENES = REPO / "resources" / "deepchrome-genes.tsv"
READ_LENGTH = 36
NEAR_TSS_SHARE = 0.3
WINDOW, BIN_SIZE = 5000, 100
WRITE_CHUNK_READS = 1_000_000
STEPS = ("floor", "count-tagalign", "bam", "count-bam", "multicov")
BINS = {"window": WINDOW, "bin_size": BIN_SIZE, "reverse_minus_strand": False}
ALL_READS = {"min_mapq": 0, "include_duplicates": False, "include_qcfail": False}


def synthetic_genes(n_genes: int) -> pd.DataFrame:
    """The first ``n_genes`` published genes as a gene table (strand is unused by the bins)."""
    published = pd.read_csv(GENES, sep="\t").head(n_genes)
    return pd.DataFrame(
        {
            "gene_id": published["ensembl_id"],
            "symbol": published["symbol"],
            "chrom": published["chrom"],
            "tss": published["tss_1based"] - 1,
            "strand": "+",
        }
    )


def write_synthetic_tagalign(
    path: Path, n_reads: int, genes: pd.DataFrame, chrom_sizes: dict[str, int], seed: int
) -> None:
    """``n_reads`` reads in random order, like an unsorted REMC file."""
    rng = np.random.default_rng(seed)
    names = np.array(list(chrom_sizes))
    lengths = np.array(list(chrom_sizes.values()), dtype=np.int64)
    gene_chrom = genes["chrom"].to_numpy(str)
    gene_tss = genes["tss"].to_numpy(np.int64)
    with gzip.open(path, "wt", compresslevel=6) as handle:
        for first in range(0, n_reads, WRITE_CHUNK_READS):
            size = min(WRITE_CHUNK_READS, n_reads - first)
            uniform_chrom = rng.choice(len(names), size=size, p=lengths / lengths.sum())
            uniform_start = (rng.random(size) * (lengths[uniform_chrom] - READ_LENGTH)).astype(
                np.int64
            )
            gene = rng.integers(len(genes), size=size)
            near_tss = rng.random(size) < NEAR_TSS_SHARE
            chrom = np.where(near_tss, gene_chrom[gene], names[uniform_chrom])
            chrom_length = np.array([chrom_sizes[c] for c in chrom], dtype=np.int64)
            tss_start = gene_tss[gene] + rng.integers(-WINDOW, WINDOW, size=size)
            start = np.where(near_tss, tss_start, uniform_start)
            start = np.clip(start, 0, chrom_length - READ_LENGTH)
            reads = pd.DataFrame(
                {
                    "chrom": chrom,
                    "start": start,
                    "end": start + READ_LENGTH,
                    "name": "N",
                    "score": 1000,
                    "strand": np.where(rng.random(size) < 0.5, "+", "-"),
                }
            )
            handle.write(reads.to_csv(sep="\t", header=False, index=False))


def peak_memory_mib() -> float:
    """Peak resident memory of this process in MiB: ``VmHWM`` of ``/proc/self/status``.

    Not ``ru_maxrss``: Linux carries it across the fork and exec that start this process, so it
    would report the (larger) parent. For multicov this leaves out the bedtools process.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # in kB
    raise RuntimeError("no VmHWM in /proc/self/status (this benchmark needs Linux)")


def run_step(step: str, workdir: Path) -> dict:
    """One step in this (fresh) process; the caller times the process."""
    # Imported here so that the step's own imports count in its time, as in a workflow job.
    if step == "floor":
        from chromexpr.io.tagalign import read_tagalign_chunks

        sum(len(chunk) for chunk in read_tagalign_chunks(workdir / "reads.tagAlign.gz"))
    elif step in ("count-tagalign", "count-bam"):
        from chromexpr.counting import count_bins

        source = "tagalign" if step == "count-tagalign" else "bam"
        count_bins(
            sources=[
                (source, workdir / ("reads.tagAlign.gz" if source == "tagalign" else "reads.bam"))
            ],
            genes_path=workdir / "positions.tsv",
            chrom_sizes_path=CHROM_SIZES,
            bins=BINS,
            counting={"engine": "fast", **ALL_READS},
            out_path=workdir / f"counts-{step}.npy",
        )
    elif step == "bam":
        from chromexpr.bam import tagalign_to_bam

        tagalign_to_bam(
            workdir / "reads.tagAlign.gz", CHROM_SIZES, workdir / "reads.bam", threads=2
        )
    else:
        from chromexpr.counting.multicov import multicov_counts

        counts = multicov_counts(workdir / "reads.bam", workdir / "multicov-bins.bed")
        np.save(workdir / "counts-multicov.npy", counts)
    return {"peak_mib": peak_memory_mib()}


def measure(step: str, workdir: Path) -> dict:
    """Run ``step`` in a fresh process; its wall time from outside, its peak memory from inside."""
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, __file__, "--run-step", step, "--workdir", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, **json.loads(finished.stdout.splitlines()[-1])}


def shell_bam_seconds(workdir: Path) -> float:
    """``zcat | bedtools bedtobam | samtools sort`` and ``samtools index``, 2 threads."""
    started = time.perf_counter()
    subprocess.run(
        f"zcat {workdir}/reads.tagAlign.gz | bedtools bedtobam -i stdin -g {CHROM_SIZES} "
        f"| samtools sort -@ 2 -o {workdir}/shell.bam - && samtools index {workdir}/shell.bam",
        shell=True,
        check=True,
        executable="/bin/bash",
    )
    return time.perf_counter() - started


def prepare(args: argparse.Namespace, workdir: Path) -> tuple[int, np.ndarray]:
    """Write the positions, the reads and multicov's bins; return the bin count and the sample."""
    chrom_sizes = read_chrom_sizes(CHROM_SIZES)
    genes = synthetic_genes(args.genes)
    write_gene_table(genes, workdir / "positions.tsv")
    layout = bin_layout(genes, chrom_sizes, WINDOW, BIN_SIZE)
    rng = np.random.default_rng(args.seed)
    subset = np.sort(rng.choice(len(layout.start), size=args.multicov_bins, replace=False))
    write_bins_bed(layout.subset(subset), workdir / "multicov-bins.bed")
    tagalign = workdir / "reads.tagAlign.gz"
    started = time.perf_counter()
    write_synthetic_tagalign(tagalign, args.reads, genes, chrom_sizes, args.seed)
    print(
        f"wrote {args.reads:,} reads ({tagalign.stat().st_size / 2**20:.0f} MiB gzip) "
        f"and the positions of {len(genes):,} genes in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return len(layout.start), layout.row[subset] * layout.n_bins + layout.bin_index[subset]


def report(args: argparse.Namespace, workdir: Path) -> None:
    n_bins, subset = prepare(args, workdir)
    steps = list(args.steps)
    if {"count-bam", "multicov"} & set(steps) and "bam" not in steps:
        steps.insert(0, "bam")
    results = {}
    for step in [s for s in STEPS if s in steps]:
        results[step] = measure(step, workdir)
        print(f"  {step}: {results[step]['seconds']:.1f} s", flush=True)
    if "bam" in results:
        results["bam"]["shell_seconds"] = shell_bam_seconds(workdir)
    if "multicov" in results:
        # multicov ran on a sample of the bins; its time for all of them is extrapolated.
        results["multicov"]["seconds"] *= n_bins / len(subset)

    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"reads: {args.reads:,} of {READ_LENGTH} bp; bins: {n_bins:,} ({args.genes:,} genes x 100)"
    )
    print(f"{'step':<16}{'wall s':>9}{'peak MiB':>10}{'x floor':>9}")
    for step, figures in results.items():
        seconds = figures["seconds"]
        floor = f"{seconds / results['floor']['seconds']:.2f}" if "floor" in results else "-"
        label = "multicov*" if step == "multicov" else step
        print(f"{label:<16}{seconds:>9.1f}{figures['peak_mib']:>10.0f}{floor:>9}")
    if "bam" in results:
        print(
            f"zcat | bedtools bedtobam | samtools sort -@ 2 + samtools index on the same file: "
            f"{results['bam']['shell_seconds']:.1f} s"
        )
    print(
        "wall s: the step's whole process (start, imports, inputs read, output written); "
        "x floor: its time / the floor's (a process that only decompresses and parses the reads)"
    )
    if "multicov" in results:
        print(
            f"* multicov timed on {len(subset):,} random bins, extrapolated to {n_bins:,} "
            "(peak memory as measured on the sample)"
        )
    verify(workdir, subset, set(results))


def verify(workdir: Path, subset: np.ndarray, steps: set[str]) -> None:
    """Print whether the counts that were made agree, bin for bin."""
    counts = {
        step: np.load(workdir / f"counts-{step}.npy")
        for step in steps & {"count-bam", "count-tagalign", "multicov"}
    }
    if {"count-bam", "count-tagalign"} <= counts.keys():
        same = np.array_equal(counts["count-bam"], counts["count-tagalign"])
        print(f"count-bam == count-tagalign on all bins: {same}")
    for step in counts.keys() & {"count-bam", "count-tagalign"}:
        if "multicov" in counts:
            same = np.array_equal(counts[step].ravel()[subset], counts["multicov"])
            print(
                f"{step} == multicov on its {len(subset):,} bins: {same} "
                f"({int(counts['multicov'].sum()):,} read-bin overlaps there)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=10_000_000, help="reads to generate")
    parser.add_argument("--genes", type=int, default=19_802, help="published genes to bin")
    parser.add_argument("--multicov-bins", type=int, default=20_000, help="bins multicov counts")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--workdir", type=Path, help="folder for the run's temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the run's files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-step", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_step:
        print(json.dumps(run_step(args.run_step, args.workdir)))
        return
    args.genes = min(args.genes, len(pd.read_csv(GENES, sep="\t")))
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="chromexpr-counting-", dir=args.workdir))
    try:
        report(args, workdir)
    finally:
        if args.keep:
            print(f"files kept in {workdir}")
        else:
            shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
