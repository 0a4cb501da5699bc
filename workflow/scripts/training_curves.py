"""Validation AUC per epoch of every model and cell type, one panel per model."""

from chromexpr.logs import step_log
from chromexpr.plots.scores import plot_training_curves

with step_log(snakemake.log[0]):
    histories = {
        (model, cell): path
        for (model, cell), path in zip(
            [(m, c) for m in snakemake.params.models for c in snakemake.params.cells],
            snakemake.input,
            strict=True,
        )
    }
    plot_training_curves(histories, snakemake.output[0], snakemake.params.simulated)
