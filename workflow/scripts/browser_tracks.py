"""One cell type's binned counts as one bigWig per mark (outputs in the order of the marks)."""

from chromexpr.dataset import CellDataset
from chromexpr.interpret.tracks import write_tracks
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as logger:
    dataset = CellDataset.load(snakemake.input.dataset)
    write_tracks(
        dataset,
        read_chrom_sizes(snakemake.input.chrom_sizes),
        list(snakemake.output),
        reverse_minus_strand=snakemake.params.reverse_minus_strand,
        window_convention=snakemake.params.window_convention,
    )
    logger.info(f"{len(snakemake.output)} tracks of {dataset.n_genes} genes")
