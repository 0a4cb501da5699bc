"""All cross-cell results in one long table, and the within- vs across-cell summary."""

from pathlib import Path

from chromexpr.atomic import write_tsv
from chromexpr.crosscell import read_transfer_results, summarise_transfer, write_transfer_table
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as logger:
    long = read_transfer_results([Path(path) for path in snakemake.input])
    write_transfer_table(long, Path(snakemake.output.long))
    summary = summarise_transfer(long)
    write_tsv(summary, snakemake.output.summary)
    logger.info("%s", summary.to_string())
