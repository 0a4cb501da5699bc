"""Train on all cells' training genes; score on each cell's test genes."""

from pathlib import Path

import torch

from chromexpr.crosscell import pooled
from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.train import TrainingSettings
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
cells = snakemake.params.cells
with step_log(snakemake.log[0]), claim_gpu(snakemake.params.training.get("device", "auto")):
    pooled(
        snakemake.wildcards.model,
        {
            cell: CellDataset.load(path)
            for cell, path in zip(cells, snakemake.input.datasets, strict=True)
        },
        TrainingSettings.from_config(
            snakemake.wildcards.model, snakemake.params.training, snakemake.params.model_params
        ),
        snakemake.wildcards.normalisation,
        Path(snakemake.output[0]).parent,
    )
