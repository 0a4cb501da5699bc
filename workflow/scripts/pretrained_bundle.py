"""One pretrained per-cell bundle, fetched from the exported folder and checked (sha256, model,
cell) before it is written."""

from chromexpr.logs import step_log
from chromexpr.train.export import fetch_exported_bundle

with step_log(snakemake.log[0]):
    fetch_exported_bundle(
        snakemake.params.source,
        snakemake.input.manifest,
        f"{snakemake.wildcards.model}-{snakemake.wildcards.cell}",
        snakemake.output[0],
        snakemake.wildcards.model,
        snakemake.wildcards.cell,
    )
