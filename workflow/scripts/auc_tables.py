"""Long and wide AUC tables, our AUCs next to DeepChrome's published ones, and the models table."""

from pathlib import Path

from chromexpr.logs import step_log
from chromexpr.tables import build_auc_tables

with step_log(snakemake.log[0]) as logger:
    build_auc_tables(
        [Path(path) for path in snakemake.input.metrics],
        Path(snakemake.input.published),
        Path(snakemake.output.long).parent,
    )
    logger.info(Path(snakemake.output.markdown).read_text())
    logger.info(Path(snakemake.output.models).read_text())
