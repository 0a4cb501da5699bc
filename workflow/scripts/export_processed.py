"""Write a dataset in the published processed CSV layout."""

from chromexpr.dataset import CellDataset
from chromexpr.io.processed import export_processed
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as logger:
    for path in export_processed(CellDataset.load(snakemake.input[0]), snakemake.params.root):
        logger.info(f"wrote {path}")
