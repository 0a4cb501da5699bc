"""Train one differential model on one pair of cell types (B over A): bundle, metrics, history
and per-gene predictions. Resumes from the folder's last.pt."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.differential.pairs import PairDataset
from chromexpr.differential.train import DifferentialSettings, train_pair
from chromexpr.logs import step_log
from chromexpr.train import checkpoint_every
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
training = snakemake.params.training
with step_log(snakemake.log[0]), claim_gpu(training.get("device", "auto")):
    train_pair(
        PairDataset(
            CellDataset.load(snakemake.input.a),
            CellDataset.load(snakemake.input.b),
            snakemake.params.pseudocount,
            snakemake.params.threshold,
        ),
        DifferentialSettings.from_config(
            snakemake.wildcards.dmodel,
            training,
            snakemake.params.model_params,
            task="differential",
        ),
        Path(snakemake.output.metrics).parent,
        provenance=snakemake.params.provenance,
        checkpoint_every=checkpoint_every(training),
    )
