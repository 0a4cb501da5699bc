"""One cell type's dataset: counts [genes, marks, bins], labels, expression (and its unit) and split."""

from chromexpr.assembly import assemble_from_files
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    assemble_from_files(
        cell=snakemake.wildcards.cell,
        genes_path=snakemake.input.genes,
        positions_path=snakemake.input.positions,
        labels_path=snakemake.input.labels,
        split_path=snakemake.input.split,
        counts_paths=dict(zip(snakemake.params.marks, snakemake.input.counts, strict=True)),
        bins=snakemake.params.bins,
        out_path=snakemake.output[0],
    )
