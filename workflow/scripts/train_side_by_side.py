"""Train one model on a group of cell types in one job, the cells' models side by side.
Resumes from the first folder's last.pt."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.train import TrainingSettings, checkpoint_every, train_side_by_side
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]), claim_gpu(snakemake.params.training.get("device", "auto")):
    settings = TrainingSettings.from_config(
        snakemake.wildcards.model,
        snakemake.params.training,
        snakemake.params.model_params,
        task=snakemake.params.task,
    )
    train_side_by_side(
        [CellDataset.load(path) for path in snakemake.input],
        [settings] * len(snakemake.input),
        [Path(path).parent for path in snakemake.output.metrics],
        provenance=snakemake.params.provenance,
        checkpoint_every=checkpoint_every(snakemake.params.training),
    )
