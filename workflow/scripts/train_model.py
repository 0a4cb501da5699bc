"""Train one model on one cell type's dataset (on one fold's split table where the rule gives
one); best-validation checkpoint, metrics, predictions. Resumes from the folder's last.pt."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.splits import dataset_with_split
from chromexpr.train import TrainingSettings, checkpoint_every, train_cell
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]), claim_gpu(snakemake.params.training.get("device", "auto")):
    dataset = CellDataset.load(snakemake.input[0])
    # train_model_run names the fold's split table; the primary run keeps the dataset's (fold 0).
    if snakemake.input.get("split"):
        dataset = dataset_with_split(dataset, snakemake.input.split)
    train_cell(
        dataset,
        TrainingSettings.from_config(
            snakemake.wildcards.model,
            snakemake.params.training,
            snakemake.params.model_params,
            task=snakemake.params.task,
        ),
        Path(snakemake.output.metrics).parent,
        provenance=snakemake.params.provenance,
        checkpoint_every=checkpoint_every(snakemake.params.training),
    )
