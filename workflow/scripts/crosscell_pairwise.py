"""Every per-cell model scored on every cell's test genes: the A x B transfer AUCs, and per test
cell DeLong's test of the mean transfer AUC against the own model's."""

from pathlib import Path

import torch

from chromexpr.crosscell import pairwise_transfer, write_transfer_table
from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
cells = snakemake.params.cells
device = snakemake.params.training.get("device", "auto")
with step_log(snakemake.log[0]), claim_gpu(device):
    table = pairwise_transfer(
        snakemake.wildcards.model,
        dict(zip(cells, map(Path, snakemake.input.checkpoints), strict=True)),
        {
            cell: CellDataset.load(path)
            for cell, path in zip(cells, snakemake.input.datasets, strict=True)
        },
        snakemake.wildcards.normalisation,
        device,
        split=snakemake.params.split,
        tests_path=Path(snakemake.output.tests),
    )
    write_transfer_table(table, Path(snakemake.output.table))
