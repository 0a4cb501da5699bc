"""All cross-cell results in one long table, and the within- vs across-cell summary."""

from pathlib import Path

from chromexpr.crosscell import read_transfer_results, summarise_transfer, write_transfer_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as log:
    long = read_transfer_results([Path(path) for path in snakemake.input])
    write_transfer_table(long, Path(snakemake.output.long))
    summary = summarise_transfer(long)
    summary.to_csv(snakemake.output.summary, sep="\t", index=False)
    log(summary.to_string())
