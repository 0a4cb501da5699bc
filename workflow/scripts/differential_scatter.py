"""Predicted against observed log2 fold changes of one pair's test genes, a panel per model."""

from pathlib import Path

from chromexpr.differential.plots import run_scatter
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    run_scatter(
        Path(snakemake.input.table),
        dict(zip(snakemake.params.models, map(Path, snakemake.input.predictions), strict=True)),
        snakemake.wildcards.cell_a,
        snakemake.wildcards.cell_b,
        snakemake.params.threshold,
        Path(snakemake.output[0]),
        snakemake.params.simulated,
    )
