"""The transfer matrix of one model and normalisation, as TSV and a clustered heatmap."""

from pathlib import Path

from chromexpr.atomic import write_tsv
from chromexpr.crosscell import plot_transfer_heatmap, read_transfer_results, transfer_matrix
from chromexpr.logs import step_log

model, normalisation = snakemake.wildcards.model, snakemake.wildcards.normalisation
with step_log(snakemake.log[0]):
    matrix = transfer_matrix(
        read_transfer_results([Path(snakemake.input[0])]), model, normalisation
    )
    write_tsv(matrix, snakemake.output.matrix, index=True)
    plot_transfer_heatmap(
        matrix,
        Path(snakemake.output.png),
        Path(snakemake.output.svg),
        f"{model}, normalisation {normalisation}: test AUC, train cell (rows) x test cell",
        snakemake.params.simulated,
    )
