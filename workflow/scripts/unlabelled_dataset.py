"""A prediction target's dataset: counts, genes and split, no labels (expression is never read)."""

from chromexpr.assembly import assemble_from_files
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    assemble_from_files(
        cell=snakemake.wildcards.sample,
        genes_path=snakemake.input.genes,
        positions_path=snakemake.input.positions,
        labels_path=None,
        split_path=snakemake.input.split,
        counts_paths=dict(zip(snakemake.params.marks, snakemake.input.counts, strict=True)),
        bins=snakemake.params.bins,
        out_path=snakemake.output[0],
    )
