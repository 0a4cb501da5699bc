"""Reads per TSS bin of one cell type and mark: counts [genes, bins] as .npy."""

from chromexpr.counting import count_bins
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as log:
    count_bins(
        bam=snakemake.input.bam,
        bins_bed=snakemake.input.bins,
        genes_path=snakemake.input.genes,
        bins=snakemake.params.bins,
        counting=snakemake.params.counting,
        out_path=snakemake.output[0],
        log=log,
    )
