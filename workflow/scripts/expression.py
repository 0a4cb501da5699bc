"""One sample's expression table and QC record from the matrix or its quantifier file."""

from chromexpr.errors import named_as
from chromexpr.io.expression import write_sample_expression
from chromexpr.io.gene_info import read_annotation
from chromexpr.logs import step_log

# Errors about the downloaded annotation name the file or URL of urls.annotation.
with step_log(snakemake.log[0]), named_as(snakemake.input.annotation, snakemake.params.annotation):
    write_sample_expression(
        snakemake.input.source,
        snakemake.wildcards.cell,
        snakemake.params.settings,
        read_annotation(snakemake.input.annotation, snakemake.params.annotation_format),
        snakemake.output.table,
        snakemake.output.qc,
    )
