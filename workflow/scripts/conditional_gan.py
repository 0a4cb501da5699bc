"""Conditional GAN of one cell type's training genes, measured against its test genes."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.gan.run import run_gan
from chromexpr.interpret.gan.settings import GanSettings
from chromexpr.logs import step_log
from chromexpr.train import load_checkpoint

torch.set_num_threads(snakemake.threads)  # the rule declares threads: 1
with step_log(snakemake.log[0]):
    dataset = CellDataset.load(snakemake.input.dataset)
    classifier = load_checkpoint(snakemake.input.model)
    run_gan(
        dataset,
        classifier,
        GanSettings.from_config(snakemake.params.gan),
        dict(snakemake.output.items()),
        simulated=snakemake.params.simulated,
    )
