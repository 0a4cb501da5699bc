"""Write the embedded demo's REMC-format mirror."""

from pathlib import Path

from chromexpr.demo import write_demo_mirror
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_demo_mirror(
        Path(snakemake.params.out_dir),
        cells=snakemake.params.cells,
        marks=snakemake.params.marks,
        seed=snakemake.params.seed,
        n_genes=snakemake.params.n_genes,
        chrom_sizes=Path(snakemake.input.chrom_sizes),
        switching=snakemake.params.switching,
    )
