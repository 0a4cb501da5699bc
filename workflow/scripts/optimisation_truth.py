"""Score one class optimisation map of a demo cell against the demo generator's truth: TSV."""

import numpy as np

from chromexpr.dataset import CellDataset
from chromexpr.interpret.truth import write_truth_scores
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    with np.load(snakemake.input.maps) as archive:
        maps = archive["maps"]
    write_truth_scores(
        snakemake.output[0],
        maps,
        CellDataset.load(snakemake.input.dataset),
        snakemake.params.reverse_minus_strand,
        snakemake.params.demo["seed"],
        snakemake.params.demo["n_genes"],
    )
