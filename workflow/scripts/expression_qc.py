"""The expression QC table: what each sample's expression input held, lost and kept."""

from chromexpr.atomic import write_tsv
from chromexpr.io.expression import expression_qc_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_tsv(expression_qc_table(snakemake.input), snakemake.output[0])
