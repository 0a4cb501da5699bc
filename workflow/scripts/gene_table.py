"""The gene table: gene set, order and 0-based TSS of every gene."""

from chromexpr.genome.tss import build_gene_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    build_gene_table(
        annotation_path=snakemake.input.annotation,
        annotation_format=snakemake.params.annotation_format,
        expression_paths=snakemake.input.expression,
        chrom_sizes_path=snakemake.input.chrom_sizes,
        gene_set=snakemake.params.gene_set,
        published_path=snakemake.input.published,
        published_coordinates=snakemake.params.published_coordinates,
        out_path=snakemake.output[0],
        biotypes=snakemake.params.biotypes,
        tss_source=snakemake.params.tss,
        gene_column=snakemake.params.gene_column,
    )
