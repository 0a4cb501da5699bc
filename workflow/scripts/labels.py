"""Per-cell labels: expression >= the cell type's median (over distinct genes or gene-table rows),
with the expression and its unit."""

from chromexpr.labels import write_cell_labels
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_cell_labels(
        snakemake.input.genes,
        snakemake.input.expression,
        snakemake.params.cells,
        snakemake.params.unit,
        snakemake.output[0],
        median_over=snakemake.params.median_over,
    )
