"""A differential model scored against the demo's switching genes: Pearson r on them and the
recovery of the marks and bins that change, trained and untrained."""

from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.differential.truth import run_truth
from chromexpr.logs import step_log

torch.set_num_threads(snakemake.threads)
with step_log(snakemake.log[0]) as logger:
    table = run_truth(
        Path(snakemake.input.model),
        CellDataset.load(snakemake.input.a),
        CellDataset.load(snakemake.input.b),
        snakemake.params.demo,
        snakemake.params.reverse_minus_strand,
        snakemake.params.steps,
        Path(snakemake.output[0]),
    )
    logger.info("%s", table.to_string())
