"""Every per-cell model scored on every cell's test genes: the A x B transfer AUCs."""

from pathlib import Path

import torch

from chromexpr.crosscell import pairwise_transfer, write_transfer_table
from chromexpr.dataset import CellDataset
from chromexpr.gpus import claim_gpu
from chromexpr.logs import step_log
from chromexpr.training import TrainingSettings

torch.set_num_threads(snakemake.threads)
cells = snakemake.params.cells
with (
    step_log(snakemake.log[0]) as log,
    claim_gpu(snakemake.params.training.get("device", "auto"), log=log),
):
    table = pairwise_transfer(
        snakemake.wildcards.model,
        dict(zip(cells, map(Path, snakemake.input.checkpoints), strict=True)),
        {
            cell: CellDataset.load(path)
            for cell, path in zip(cells, snakemake.input.datasets, strict=True)
        },
        TrainingSettings.from_config(
            snakemake.wildcards.model, snakemake.params.training, snakemake.params.model_params
        ),
        snakemake.wildcards.normalisation,
        log=log,
    )
    write_transfer_table(table, Path(snakemake.output[0]))
