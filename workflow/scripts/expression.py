"""One sample's expression table and QC record from the matrix or its quantifier file."""

from chromexpr.io.expression import write_sample_expression
from chromexpr.io.gene_info import read_annotation
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_sample_expression(
        snakemake.input.source,
        snakemake.wildcards.cell,
        snakemake.params.settings,
        read_annotation(snakemake.input.annotation, snakemake.params.annotation_format),
        snakemake.output.table,
        snakemake.output.qc,
    )
