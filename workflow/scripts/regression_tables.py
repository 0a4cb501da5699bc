"""Regression task: Pearson and Spearman correlation per cell and model, long and wide."""

from pathlib import Path

from chromexpr.logs import step_log
from chromexpr.tables import build_regression_tables

with step_log(snakemake.log[0]) as logger:
    build_regression_tables(
        [Path(path) for path in snakemake.input.metrics], Path(snakemake.output.long).parent
    )
    logger.info(Path(snakemake.output.markdown).read_text())
