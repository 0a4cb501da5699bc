"""A per-cell model trained on normalised inputs, for transfer with normalisation."""

from pathlib import Path

import torch

from chromexpr.crosscell import train_normalised_cell
from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.train import TrainingSettings
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]), claim_gpu(snakemake.params.training.get("device", "auto")):
    train_normalised_cell(
        CellDataset.load(snakemake.input[0]),
        TrainingSettings.from_config(
            snakemake.wildcards.model, snakemake.params.training, snakemake.params.model_params
        ),
        snakemake.wildcards.normalisation,
        Path(snakemake.output.metrics).parent,
        provenance=snakemake.params.provenance,
    )
