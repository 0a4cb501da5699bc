"""A model's attention on one cell type, averaged per predicted class; tables + figure."""

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attention import run_attention
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    dataset = CellDataset.load(snakemake.input.dataset)
    run_attention(
        snakemake.input.attention,
        snakemake.output.bins,
        snakemake.output.marks,
        snakemake.output.png,
        f"{snakemake.wildcards.model}, cell {snakemake.wildcards.cell}: attention by predicted class",
        bin_offsets=dataset.bin_offsets,
        simulated=snakemake.params.simulated,
    )
