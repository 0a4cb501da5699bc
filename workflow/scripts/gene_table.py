"""The gene table: the positioned genes with an expression row, in the positions' order."""

from chromexpr.genome.tss import build_gene_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    build_gene_table(
        positions_path=snakemake.input.positions,
        expression_paths=snakemake.input.expression,
        gene_set=snakemake.params.gene_set,
        out_path=snakemake.output[0],
        gene_column=snakemake.params.gene_column,
    )
