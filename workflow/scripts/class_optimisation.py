"""Class optimisation maps of one trained model on one cell type: npz."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.optimisation import OptimisationSettings, run_optimisation
from chromexpr.logs import step_log
from chromexpr.train import load_checkpoint

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    run_optimisation(
        CellDataset.load(snakemake.input.dataset),
        load_checkpoint(snakemake.input.model),
        OptimisationSettings.from_config(snakemake.params.optimisation),
        snakemake.output.maps,
    )
