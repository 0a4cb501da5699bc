"""Speed and memory of the counting engines on a synthetic REMC-sized tagAlign.

Writes ``--reads`` 36 bp reads on the hg19 contigs (70% spread over the genome by contig length,
30% within 5 kb of a TSS) as a tagAlign.gz, the bins of the published genes
(``resources/deepchrome-genes.tsv``, TSS = ``tss_1based - 1``, 100 bins of 100 bp) and the sorted
BAM built from the reads. Each engine then runs in its own process, so its peak resident memory
(``VmHWM``) is its own:

- ``floor``: decompress and parse the tagAlign (``read_tagalign_chunks``), no counting;
- ``fast-bam``: :func:`chromexpr.counting.fast.bam_bin_counts` on the BAM;
- ``fast-tagalign``: :func:`chromexpr.counting.fast.tagalign_bin_counts` on the tagAlign;
- ``multicov``: ``bedtools multicov`` on ``--multicov-bins`` random bins, its time extrapolated
  to all bins (it handles bins one at a time, so its time grows with their number).

The fast engines' counts are compared with each other on all bins and with multicov's on its
bins. Figures are printed, never asserted.

    .venv/bin/python benchmarks/counting.py                    # 10 M reads, 19,802 genes
    .venv/bin/python benchmarks/counting.py --reads 30000000 --engines floor fast-tagalign
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

from chromexpr.bam import tagalign_to_bam
from chromexpr.counting.fast import bam_bin_counts, tagalign_bin_counts
from chromexpr.counting.multicov import multicov_counts
from chromexpr.genome.bins import BinLayout, bin_layout, read_bins_bed, write_bins_bed
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.tagalign import read_tagalign_chunks

REPO = Path(__file__).resolve().parents[1]
CHROM_SIZES = REPO / "resources" / "hg19.chrom.sizes"
GENES = REPO / "resources" / "deepchrome-genes.tsv"
READ_LENGTH = 36
NEAR_TSS_SHARE = 0.3
WINDOW, BIN_SIZE = 5000, 100
WRITE_CHUNK_READS = 1_000_000
ENGINES = ("floor", "fast-bam", "fast-tagalign", "multicov")


def synthetic_genes(n_genes: int) -> pd.DataFrame:
    """The first ``n_genes`` published genes as a gene table (strand is unused by the bins)."""
    published = pd.read_csv(GENES, sep="\t").head(n_genes)
    return pd.DataFrame(
        {
            "gene_id": published["ensembl_id"],
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


def reset_peak_memory() -> None:
    """Start ``VmHWM`` again from the current resident size (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (bedtools), user and system."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run_engine(engine: str, workdir: Path, n_genes: int) -> dict:
    """Run one engine on the files in ``workdir``; save its counts, return time and memory."""
    n_bins = 2 * WINDOW // BIN_SIZE
    layout: BinLayout = read_bins_bed(workdir / "bins.bed", n_genes, n_bins)
    chrom_sizes = read_chrom_sizes(CHROM_SIZES)
    load_peak_mib = peak_memory_mib()
    reset_peak_memory()  # from here on, the peak is the engine's (plus the layout it holds)
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    if engine == "floor":
        n_parsed = sum(len(chunk) for chunk in read_tagalign_chunks(workdir / "reads.tagAlign.gz"))
        counts = np.array([n_parsed])
    elif engine == "fast-bam":
        counts = bam_bin_counts(workdir / "reads.bam", layout)
    elif engine == "fast-tagalign":
        counts, _ = tagalign_bin_counts(workdir / "reads.tagAlign.gz", layout, chrom_sizes)
    else:
        counts = multicov_counts(workdir / "reads.bam", workdir / "multicov-bins.bed")
    seconds = time.perf_counter() - started
    np.save(workdir / f"counts-{engine}.npy", counts)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu_started,
        "peak_mib": peak_memory_mib(),
        "load_peak_mib": load_peak_mib,
    }


def measure(engine: str, workdir: Path, n_genes: int) -> dict:
    """Run ``engine`` in a fresh process so that its peak memory is its own."""
    finished = subprocess.run(
        [sys.executable, __file__, "--run-engine", engine, "--workdir", str(workdir)]
        + ["--genes", str(n_genes)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(finished.stdout.splitlines()[-1])


def prepare(args: argparse.Namespace, workdir: Path) -> tuple[BinLayout, np.ndarray, float]:
    """Write reads, bins, the BAM and multicov's bins; return the layout, multicov's bins, BAM time."""
    chrom_sizes = read_chrom_sizes(CHROM_SIZES)
    genes = synthetic_genes(args.genes)
    layout = bin_layout(genes, chrom_sizes, WINDOW, BIN_SIZE)
    write_bins_bed(layout, workdir / "bins.bed")
    rng = np.random.default_rng(args.seed)
    subset = np.sort(rng.choice(len(layout.start), size=args.multicov_bins, replace=False))
    subset_layout = BinLayout(
        chrom=layout.chrom[subset],
        start=layout.start[subset],
        end=layout.end[subset],
        gene_id=layout.gene_id[subset],
        row=layout.row[subset],
        bin_index=layout.bin_index[subset],
        n_genes=layout.n_genes,
        n_bins=layout.n_bins,
    )
    write_bins_bed(subset_layout, workdir / "multicov-bins.bed")
    tagalign = workdir / "reads.tagAlign.gz"
    started = time.perf_counter()
    write_synthetic_tagalign(tagalign, args.reads, genes, chrom_sizes, args.seed)
    print(
        f"wrote {args.reads:,} reads ({tagalign.stat().st_size / 2**20:.0f} MiB gzip) "
        f"and {len(layout.start):,} bins of {len(genes):,} genes in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    bam_seconds = float("nan")
    if {"fast-bam", "multicov"} & set(args.engines):
        started = time.perf_counter()
        tagalign_to_bam(tagalign, CHROM_SIZES, workdir / "reads.bam", threads=2)
        bam_seconds = time.perf_counter() - started
    return layout, subset, bam_seconds


def report(args: argparse.Namespace, workdir: Path) -> None:
    layout, subset, bam_seconds = prepare(args, workdir)
    n_bins = len(layout.start)
    results = {}
    for engine in args.engines:
        results[engine] = measure(engine, workdir, args.genes)
        print(f"  {engine}: {results[engine]['seconds']:.1f} s", flush=True)
    if "multicov" in results:
        # multicov ran on a sample of the bins; its time for all of them is extrapolated.
        results["multicov"]["seconds"] *= n_bins / len(subset)
        results["multicov"]["cpu_seconds"] *= n_bins / len(subset)

    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} CPUs"
    )
    print(
        f"reads: {args.reads:,} of {READ_LENGTH} bp; bins: {n_bins:,} ({args.genes:,} genes x 100)"
    )
    print(f"tagAlign -> sorted BAM (tagalign_to_bam, 2 threads): {bam_seconds:.1f} s")
    header = (
        f"{'engine':<15}{'wall s':>10}{'cpu s':>9}{'reads/s':>13}{'bins/s':>13}"
        f"{'load MiB':>10}{'count MiB':>11}{'x multicov':>12}{'x floor':>9}"
    )
    print(header)
    for engine, figures in results.items():
        seconds = figures["seconds"]
        speedup = (
            f"{results['multicov']['seconds'] / seconds:.0f}" if "multicov" in results else "-"
        )
        floor = f"{seconds / results['floor']['seconds']:.2f}" if "floor" in results else "-"
        label = "multicov*" if engine == "multicov" else engine
        bins_per_second = "-" if engine == "floor" else f"{n_bins / seconds:,.0f}"
        print(
            f"{label:<15}{seconds:>10.1f}{figures['cpu_seconds']:>9.1f}"
            f"{args.reads / seconds:>13,.0f}{bins_per_second:>13}"
            f"{figures['load_peak_mib']:>10.0f}{figures['peak_mib']:>11.0f}{speedup:>12}{floor:>9}"
        )
    print(
        "load MiB: peak while reading the bins BED (read_bins_bed); count MiB: peak while the "
        "engine runs, the layout included; x multicov: multicov's time / the engine's; "
        "x floor: the engine's time / the floor's"
    )
    if "multicov" in results:
        print(
            f"* multicov timed on {len(subset):,} random bins, extrapolated to {n_bins:,} "
            f"(peak memory as measured on the sample)"
        )
    verify(workdir, subset, set(results))


def verify(workdir: Path, subset: np.ndarray, engines: set[str]) -> None:
    """Print whether the engines that ran agree, bin for bin."""
    counts = {
        engine: np.load(workdir / f"counts-{engine}.npy")
        for engine in engines & {"fast-bam", "fast-tagalign", "multicov"}
    }
    if {"fast-bam", "fast-tagalign"} <= counts.keys():
        same = np.array_equal(counts["fast-bam"], counts["fast-tagalign"])
        print(f"fast-bam == fast-tagalign on all bins: {same}")
    for engine in counts.keys() & {"fast-bam", "fast-tagalign"}:
        if "multicov" in counts:
            same = np.array_equal(counts[engine][subset], counts["multicov"])
            print(
                f"{engine} == multicov on its {len(subset):,} bins: {same} "
                f"({int(counts['multicov'].sum()):,} read-bin overlaps there)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=10_000_000, help="reads to generate")
    parser.add_argument("--genes", type=int, default=19_802, help="published genes to bin")
    parser.add_argument("--multicov-bins", type=int, default=20_000, help="bins multicov counts")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--workdir", type=Path, help="folder for the run's temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the run's files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-engine", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_engine:
        print(json.dumps(run_engine(args.run_engine, args.workdir, args.genes)))
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
