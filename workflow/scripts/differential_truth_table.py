"""Every (pair, differential model)'s scores against the demo's switching genes, in one table."""

from pathlib import Path

from chromexpr.differential.truth import combine_truth_tables
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    combine_truth_tables([Path(path) for path in snakemake.input], Path(snakemake.output[0]))
