"""Every model's and cell type's interpretation controls in one table: TSV + HTML page."""

from chromexpr.interpret.controls.outputs import write_controls_summary
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_controls_summary(snakemake.input, snakemake.output.table, snakemake.output.page)
