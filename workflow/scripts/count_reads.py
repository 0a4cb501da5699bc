"""Reads (or mean signal) per TSS bin of one cell type and mark: [genes, bins] as .npy."""

from chromexpr.counting import count_bins
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    count_bins(
        source=snakemake.params.source,
        path=snakemake.input.source,
        genes_path=snakemake.input.genes,
        chrom_sizes_path=snakemake.input.chrom_sizes,
        bins=snakemake.params.bins,
        counting=snakemake.params.counting,
        out_path=snakemake.output[0],
        bins_bed=snakemake.input.get("bins"),
    )
