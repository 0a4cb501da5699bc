"""The marks and bins a differential model attends to, over the test genes of each predicted
change (down, unchanged, up)."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.differential.attention import run_change_attention
from chromexpr.differential.bundle import load_bundle
from chromexpr.logs import step_log

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    bundle = load_bundle(snakemake.input.model)
    run_change_attention(
        bundle,
        bundle.pair(CellDataset.load(snakemake.input.a), CellDataset.load(snakemake.input.b)),
        Path(snakemake.output.bins),
        Path(snakemake.output.marks),
        Path(snakemake.output.png),
        snakemake.params.simulated,
    )
