"""The published claims tested on this run's predictions: claims.tsv (and .md), the per-sample
differences behind it and their forest plot."""

from pathlib import Path

from chromexpr.claims import ClaimsOutputs, build_claims
from chromexpr.logs import step_log

with step_log(snakemake.log[0]) as logger:
    claims = build_claims(
        [Path(path) for path in snakemake.input.metrics],
        [Path(path) for path in snakemake.input.crosscell] if snakemake.input.crosscell else None,
        snakemake.params.margin,
        snakemake.params.alpha,
        ClaimsOutputs(**{name: Path(path) for name, path in snakemake.output.items()}),
        snakemake.params.simulated,
        Path(snakemake.input.differential[0]) if snakemake.input.differential else None,
    )
    logger.info(
        "%s", claims[["key", "samples", "mean_difference", "p_holm", "verdict"]].to_string()
    )
