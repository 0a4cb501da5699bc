"""Configs for the unit tests of chromexpr.config: the demo config with an overlay, as the
workflow reads it (files merged in order, then the schema's defaults filled in)."""

import copy

import yaml
from snakemake.utils import update_config, validate

from chromexpr.config import SampleTable, sample_table

from .workflow_helpers import REPO

SCHEMA = str(REPO / "workflow/schemas/config.schema.yaml")
DEMO = yaml.safe_load((REPO / "config/config.yaml").read_text())
DEMO_CHROM_SIZES = str(REPO / "resources/hg19.chrom.sizes")


def overlay_sources(overlay: str = "", base: str = "config/config.yaml") -> dict[str, dict]:
    """Each config source's values, as chromexpr.config.schema.config_sources gives them: the
    demo config file (or ``base``), then bad.yaml holding ``overlay``."""
    base_values = yaml.safe_load((REPO / base).read_text())
    return {base: base_values, "bad.yaml": yaml.safe_load(overlay) or {}}


def configured(
    *overlays: str, base: str = "config/config.yaml", unset: tuple[str, ...] = ()
) -> dict:
    """The config the workflow checks: ``base`` with the YAML ``overlays`` layered on in order
    (as config files given one after the other), the dotted keys ``unset`` removed, then the
    schema's defaults."""
    config = copy.deepcopy(yaml.safe_load((REPO / base).read_text()))
    for overlay in overlays:
        update_config(config, yaml.safe_load(overlay) or {})
    for key in unset:
        *parents, last = key.split(".")
        folder = config
        for parent in parents:
            folder = folder[parent]
        del folder[last]
    validate(config, SCHEMA)
    return config


def samples_of(config: dict) -> SampleTable:
    """The sample table of a config without a sample sheet."""
    return sample_table(config, None)
