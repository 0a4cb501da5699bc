"""Models compared across cell types: a box per model of the test score over cells."""

from pathlib import Path

import pandas as pd

from chromexpr.logs import step_log
from chromexpr.plots.scores import plot_model_comparison

with step_log(snakemake.log[0]):
    plot_model_comparison(
        pd.read_csv(snakemake.input.table, sep="\t", dtype={"cell": str, "model": str}),
        Path(snakemake.output.png),
        Path(snakemake.output.svg),
        score=snakemake.params.score,
        simulated=snakemake.params.simulated,
    )
