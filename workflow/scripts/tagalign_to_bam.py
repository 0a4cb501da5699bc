"""tagAlign.gz -> sorted, indexed BAM, with a report of the reads the contig filter dropped."""

from chromexpr.bam import tagalign_to_bam
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    report = tagalign_to_bam(
        snakemake.input.reads,
        snakemake.input.chrom_sizes,
        snakemake.output.bam,
        threads=snakemake.threads,
    )
    report.write_json(snakemake.output.report)
