"""The per-cell classifiers as an exported folder: bundles named {model}-{cell} and a manifest."""

from pathlib import Path

from chromexpr.logs import step_log
from chromexpr.train.export import export_models

with step_log(snakemake.log[0]) as logger:
    manifest = export_models(
        dict(zip(snakemake.params.names, snakemake.input, strict=True)),
        Path(snakemake.output[0]).parent,
    )
    logger.info(f"{len(manifest['models'])} bundles exported")
