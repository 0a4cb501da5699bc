"""Score one model's attributions on a demo cell against the demo generator's truth: TSV."""

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import write_attribution_truth
from chromexpr.logs import step_log

with step_log(snakemake.log[0]):
    write_attribution_truth(
        snakemake.output[0],
        snakemake.input.maps,
        snakemake.input.knockouts,
        CellDataset.load(snakemake.input.dataset),
        snakemake.params.reverse_minus_strand,
        snakemake.params.demo["seed"],
        snakemake.params.demo["n_genes"],
    )
