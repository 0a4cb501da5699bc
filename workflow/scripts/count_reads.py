"""Reads (or mean signal) per TSS bin of one sample and mark, its replicates summed (bigWig
signal averaged): [genes, bins] as .npy."""

from chromexpr.counting import count_bins
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    count_bins(
        sources=list(zip(snakemake.params.formats, snakemake.input.sources, strict=True)),
        genes_path=snakemake.input.genes,
        chrom_sizes_path=snakemake.input.chrom_sizes,
        bins=snakemake.params.bins,
        counting=snakemake.params.counting,
        out_path=snakemake.output[0],
        bins_bed=snakemake.input.get("bins"),
        genes_source=snakemake.params.annotation,
        name=f"sample {snakemake.wildcards.cell}, mark {snakemake.wildcards.mark}",
    )
