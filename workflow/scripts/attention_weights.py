"""Attention weights of a trained model over one cell type's test genes, from its bundle."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attention_weights import write_attention
from chromexpr.logs import step_log

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]):
    write_attention(
        snakemake.input.model, CellDataset.load(snakemake.input.dataset), snakemake.output[0]
    )
