"""Write the demo's files: a mirror of the REMC files, or the own-data demo.

``python -m chromexpr.demo --out DIR --cells ...`` (and ``chromexpr demo``) writes the
REMC-format mirror (``chromexpr.demo.mirror``); with ``--style own-data`` the files of an
ENCODE-like hg38 study (``chromexpr.demo.own_data``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from chromexpr.demo.biology import DEMO_MARKS
from chromexpr.demo.mirror import (
    DEFAULT_BACKGROUND_READS_PER_MB,
    DEFAULT_CHROM_SIZES,
    write_demo_mirror,
)
from chromexpr.demo.own_data import HG38_CHROM_SIZES, write_own_data_demo
from chromexpr.logs import step_log


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m chromexpr.demo --out DIR --cells ... --marks ...``: write a demo mirror, or
    with ``--style own-data`` the own-data demo (BAMs, bigWigs, a sample sheet; hg38)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write the mirror to")
    parser.add_argument("--cells", nargs="+", required=True, help="cell type ids, e.g. E003 E004")
    parser.add_argument("--marks", nargs="+", default=list(DEMO_MARKS), help="histone marks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-genes", type=int, default=None, help="gene subset size (default all)")
    parser.add_argument(
        "--background-reads-per-mb", type=float, default=DEFAULT_BACKGROUND_READS_PER_MB
    )
    parser.add_argument("--chrom-sizes", type=Path, default=None)
    parser.add_argument(
        "--switching",
        type=float,
        default=0.0,
        help="share of genes that switch state between cell types (chromexpr.demo.biology)",
    )
    parser.add_argument(
        "--style",
        choices=["remc", "own-data"],
        default="remc",
        help="remc: the REMC-format mirror; own-data: chromexpr.demo.own_data",
    )
    args = parser.parse_args(argv)
    if args.style == "own-data" and len(args.cells) < 3:
        parser.error(
            f"--style own-data writes three sample layouts: give --cells three or more names "
            f"(got {len(args.cells)}: {' '.join(args.cells)})"
        )
    with step_log(None):
        if args.style == "own-data":
            write_own_data_demo(
                args.out,
                args.cells,
                args.marks,
                seed=args.seed,
                n_genes=args.n_genes,
                chrom_sizes=args.chrom_sizes or HG38_CHROM_SIZES,
            )
            return
        write_demo_mirror(
            args.out,
            args.cells,
            args.marks,
            seed=args.seed,
            n_genes=args.n_genes,
            background_reads_per_mb=args.background_reads_per_mb,
            chrom_sizes=args.chrom_sizes or DEFAULT_CHROM_SIZES,
            switching=args.switching,
        )


if __name__ == "__main__":
    main()
