"""AUC per cell type and model, published DeepChrome values marked."""

from pathlib import Path

from chromexpr.logs import step_log
from chromexpr.plots.scores import plot_auc

with step_log(snakemake.log[0]):
    plot_auc(
        Path(snakemake.input.auc),
        Path(snakemake.input.published),
        Path(snakemake.output.png),
        Path(snakemake.output.svg),
        snakemake.params.simulated,
    )
