"""Conditional GAN of one cell type's training genes, measured against its test genes."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.gan import GanSettings, run_gan
from chromexpr.interpret.trained import load_trained_model
from chromexpr.logs import step_log

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    dataset = CellDataset.load(snakemake.input.dataset)
    _, n_marks, n_bins = dataset.counts.shape
    classifier = load_trained_model(Path(snakemake.input.model).parent, n_marks, n_bins)
    run_gan(
        dataset,
        classifier,
        GanSettings.from_config(snakemake.params.gan),
        dict(snakemake.output.items()),
    )
