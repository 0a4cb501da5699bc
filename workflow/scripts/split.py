"""Contiguous train/valid/test split of the Ensembl-ordered gene table."""

from chromexpr.logs import step_log
from chromexpr.splits import write_gene_split

with step_log(snakemake.log[0]):
    write_gene_split(snakemake.input.genes, snakemake.params.weights, snakemake.output[0])
