"""Predictions of a target that is also a cell, scored against its real labels (test genes);
refused where a bundle trained or validated on some of those genes."""

import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.logs import step_log
from chromexpr.predict import score_predictions
from chromexpr.train import load_checkpoint

with step_log(snakemake.log[0]) as logger:
    scores = score_predictions(
        pd.read_csv(snakemake.input.predictions, sep="\t", keep_default_na=False),
        CellDataset.load(snakemake.input.dataset),
        [load_checkpoint(path) for path in snakemake.input.bundles],
    )
    write_tsv(scores, snakemake.output[0])
    logger.info("\n" + scores.to_string(index=False))
