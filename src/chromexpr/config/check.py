"""The one entry point that runs every cross-key config rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.rules.crosscell import check_crosscell
from chromexpr.config.rules.differential import check_differential
from chromexpr.config.rules.expression import check_expression
from chromexpr.config.rules.genome import check_demo, check_genome, deprecations
from chromexpr.config.rules.inputs import (
    check_bins,
    check_counting,
    check_engine,
    check_feature_kinds,
    check_processed,
    feature_kind_warnings,
)
from chromexpr.config.rules.interpret import check_interpret
from chromexpr.config.rules.models import check_model_names
from chromexpr.config.rules.predict import check_predict, check_pretrained, unused_pretrained
from chromexpr.config.rules.split import check_seeds, check_split
from chromexpr.config.sample_table import SampleTable
from chromexpr.config.schema import located


def check_config(
    config: Mapping[str, Any],
    samples: SampleTable,
    sources: Mapping[str, Mapping[str, Any]],
    chrom_sizes_path: str,
) -> None:
    """Raise the first ConfigError of the cross-key rules, with the config source that set its
    key (``sources``: chromexpr.config.schema.config_sources). ``config`` has passed the schema
    (its defaults filled in); ``chrom_sizes_path``: the genome's chrom sizes file the workflow
    uses (the demo's chromosomes must be in it)."""
    with located(sources):
        check_model_names(config)
        check_bins(config)
        check_engine(config)
        check_genome(config)
        check_feature_kinds(config, samples)
        check_counting(config, samples)
        check_processed(config, samples)
        check_demo(config, chrom_sizes_path)
        check_expression(config, samples)
        check_crosscell(config)
        check_differential(config, samples)
        check_split(config)
        check_seeds(config)
        check_interpret(config, samples)
        check_predict(config, samples)
        check_pretrained(config)


def config_warnings(config: Mapping[str, Any], samples: SampleTable) -> list[str]:
    """What the config allows but a user should hear about: deprecated keys, pretrained bundles
    nothing uses, prediction samples whose input kind is not the cells'."""
    return deprecations(config) + unused_pretrained(config) + feature_kind_warnings(config, samples)
