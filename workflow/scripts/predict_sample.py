"""A target sample's expression predicted by the bundles of predict.source: table, BED, bigWig."""

import torch

from chromexpr.dataset import CellDataset
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.logs import step_log
from chromexpr.predict import predict_sample
from chromexpr.train import load_checkpoint
from chromexpr.train.gpus import claim_gpu

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]), claim_gpu(snakemake.params.device):
    predict_sample(
        [load_checkpoint(path) for path in snakemake.input.bundles],
        CellDataset.load(snakemake.input.dataset),
        snakemake.output.table,
        snakemake.params.task,
        snakemake.params.reverse_minus_strand,
        bed=snakemake.output.bed,
        bigwig=snakemake.output.bigwig,
        chrom_sizes=read_chrom_sizes(snakemake.input.chrom_sizes),
        device=snakemake.params.device,
        allow_other_input_kind=snakemake.params.other_input_kind,
    )
