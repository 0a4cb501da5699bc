"""TSS +- window in fixed bins, clipped at chromosome ends, as a BED."""

from chromexpr.genome.bins import bin_layout, write_bins_bed
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.logs import step_log

bins = snakemake.params.bins
with step_log(snakemake.log[0]) as logger:
    genes = read_gene_table(snakemake.input.genes)
    layout = bin_layout(
        genes,
        read_chrom_sizes(snakemake.input.chrom_sizes),
        window=bins["window"],
        bin_size=bins["bin_size"],
        reverse_minus_strand=bins["reverse_minus_strand"],
        window_convention=bins["window_convention"],
    )
    write_bins_bed(layout, snakemake.output[0])
    clipped = layout.n_genes * layout.n_bins - len(layout.row)
    logger.info(
        f"{layout.n_genes} genes x {layout.n_bins} bins; {clipped} bins fall off a chromosome end"
    )
