"""A differential model's predicted log2 fold change at each TSS, as BED and bigWig."""

from chromexpr.differential.predict import write_fold_change_tracks
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_fold_change_tracks(
        snakemake.input.predictions,
        snakemake.input.chrom_sizes,
        snakemake.output.bed,
        snakemake.output.bigwig,
    )
