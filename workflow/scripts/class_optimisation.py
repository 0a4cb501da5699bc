"""Class optimisation maps of one trained model on one cell type: npz + heatmaps."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.optimisation import OptimisationSettings, run_optimisation
from chromexpr.interpret.trained import load_trained_model
from chromexpr.logs import step_log

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    dataset = CellDataset.load(snakemake.input.dataset)
    _, n_marks, n_bins = dataset.counts.shape
    trained = load_trained_model(Path(snakemake.input.model).parent, n_marks, n_bins)
    run_optimisation(
        dataset,
        trained,
        OptimisationSettings.from_config(snakemake.params.optimisation),
        snakemake.output.maps,
        snakemake.output.png,
    )
