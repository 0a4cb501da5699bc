"""Every (pair, differential model)'s test scores with their intervals, and DeepDiff against
each baseline per pair."""

from pathlib import Path

from chromexpr.differential.tables import build_differential_tables
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as logger:
    table = build_differential_tables(
        [Path(path) for path in snakemake.input.metrics],
        Path(snakemake.output.table),
        Path(snakemake.output.comparisons),
        Path(snakemake.output.markdown),
        snakemake.params.bootstrap["resamples"],
        snakemake.params.bootstrap["seed"],
    )
    logger.info("%s", table[["cell_a", "cell_b", "model", "pearson", "spearman"]].to_string())
