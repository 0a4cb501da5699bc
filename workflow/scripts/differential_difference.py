"""The difference of two single-cell regression models (B's prediction minus A's, in log2) on
one pair of cell types, written as a differential model's folder."""

from pathlib import Path

from chromexpr.dataset import CellDataset
from chromexpr.differential.pairs import PairDataset
from chromexpr.differential.train import score_difference
from chromexpr.logs import step_log
from chromexpr.train import load_checkpoint

with step_log(snakemake.log[0]):
    score_difference(
        PairDataset(
            CellDataset.load(snakemake.input.a),
            CellDataset.load(snakemake.input.b),
            snakemake.params.pseudocount,
            snakemake.params.threshold,
        ),
        load_checkpoint(snakemake.input.model_a),
        load_checkpoint(snakemake.input.model_b),
        Path(snakemake.output.metrics).parent,
        provenance=snakemake.params.provenance,
    )
