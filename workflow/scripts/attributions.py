"""Integrated gradients and mark knockouts of one trained model on one cell type."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import AttributionSettings, run_attributions
from chromexpr.logs import step_log
from chromexpr.train import load_checkpoint

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    run_attributions(
        CellDataset.load(snakemake.input.dataset),
        load_checkpoint(snakemake.input.model),
        AttributionSettings.from_config(snakemake.params.attributions),
        snakemake.output.maps,
        snakemake.output.knockouts,
        snakemake.output.png,
        snakemake.params.simulated,
    )
