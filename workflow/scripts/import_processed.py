"""A dataset from the published processed CSV layout (source: processed)."""

from chromexpr.genome.bins import bin_offsets
from chromexpr.io.processed import import_processed
from chromexpr.logs import step_log

bins = snakemake.params.bins
with step_log(snakemake.log[0]) as logger:
    dataset = import_processed(
        snakemake.params.root,
        snakemake.wildcards.cell,
        bin_offsets(bins["window"], bins["bin_size"]),
    )
    dataset.save(snakemake.output[0])
    logger.info(f"{dataset.n_genes} genes from {snakemake.params.root}/{dataset.cell}")
