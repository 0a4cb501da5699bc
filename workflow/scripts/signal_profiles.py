"""Mean counts per bin and mark of high and low genes of one cell type: TSV + figure."""

from chromexpr.dataset import CellDataset
from chromexpr.interpret.profiles import run_profiles
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    run_profiles(
        CellDataset.load(snakemake.input[0]),
        snakemake.output.tsv,
        snakemake.output.png,
        snakemake.params.simulated,
    )
