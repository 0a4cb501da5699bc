"""The class optimisation maps of one model on one cell type beside their controls: PNG."""

from chromexpr.logs import step_log
from chromexpr.plots.maps import plot_maps_with_controls

with step_log(snakemake.log[0]):
    plot_maps_with_controls(
        snakemake.output[0],
        snakemake.input.maps,
        snakemake.input.controls_maps,
        snakemake.input.controls,
        f"{snakemake.wildcards.model}, cell {snakemake.wildcards.cell}: class optimisation maps",
        snakemake.params.simulated,
    )
