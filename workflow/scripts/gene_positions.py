"""Where every gene that may be counted lies: 0-based TSS from the annotation or published list."""

from chromexpr.errors import named_as
from chromexpr.genome.tss import build_gene_positions
from chromexpr.logs import step_log

# Errors about the downloaded annotation name the file or URL of urls.annotation.
with step_log(snakemake.log[0]), named_as(snakemake.input.annotation, snakemake.params.annotation):
    build_gene_positions(
        annotation_path=snakemake.input.annotation,
        annotation_format=snakemake.params.annotation_format,
        chrom_sizes_path=snakemake.input.chrom_sizes,
        gene_set=snakemake.params.gene_set,
        published_path=snakemake.input.published,
        published_coordinates=snakemake.params.published_coordinates,
        out_path=snakemake.output[0],
        max_dropped_share=snakemake.params.max_dropped_share,
        biotypes=snakemake.params.biotypes,
        tss_source=snakemake.params.tss,
    )
