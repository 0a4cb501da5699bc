"""The gene split of every fold (split.method): train / valid / test per gene."""

from chromexpr.logs import step_log
from chromexpr.splits import write_gene_splits

with step_log(snakemake.log[0]):
    write_gene_splits(
        snakemake.input.genes, snakemake.params.split, snakemake.params.window, snakemake.output
    )
