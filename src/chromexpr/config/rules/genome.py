"""The genome (chrom sizes) and what the demo simulates on it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from chromexpr.config.derived import BUNDLED_GENOMES
from chromexpr.errors import ConfigError
from chromexpr.io.chrom_sizes import read_chrom_sizes


def check_genome(config: Mapping[str, Any]) -> None:
    """genome is a bundled assembly or an existing chrom sizes / .fai file; the deprecated
    chrom_sizes only beside the default genome."""
    genome = config["genome"]
    if config["chrom_sizes"]:
        if genome != "hg19":
            raise ConfigError(
                "chrom_sizes",
                f"deprecated, and conflicts with genome {genome!r}: remove chrom_sizes and "
                "set genome to the chrom sizes path",
            )
    elif genome not in BUNDLED_GENOMES and not os.path.exists(genome):
        raise ConfigError(
            "genome",
            f"{genome!r} is neither a bundled assembly {sorted(BUNDLED_GENOMES)} nor an "
            "existing chrom.sizes or .fai file",
        )


def deprecations(config: Mapping[str, Any]) -> list[str]:
    """Warnings for deprecated keys the config sets."""
    if config["chrom_sizes"]:
        return ["config key 'chrom_sizes' is deprecated: set genome to the chrom sizes path"]
    return []


def check_demo(config: Mapping[str, Any], chrom_sizes_path: str) -> None:
    """The demo (demo.enabled) simulates its own marks on chr1, chr21 and chrM: anything else
    would fail in a job, after the mirror was (re)built. ``chrom_sizes_path``: the genome's chrom
    sizes (or .fai) file the workflow uses."""
    from chromexpr.demo.biology import DEMO_CHROMS, DEMO_MARKS

    if not config["demo"]["enabled"]:
        return
    marks: Sequence[str] = config["marks"]
    unknown = sorted(set(marks) - set(DEMO_MARKS))
    if unknown:
        raise ConfigError(
            "marks",
            f"the demo (demo.enabled) has no model for {unknown}; known: {list(DEMO_MARKS)}",
        )
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    missing = [chrom for chrom in DEMO_CHROMS if chrom not in chrom_sizes]
    if missing:
        raise ConfigError(
            "chrom_sizes" if config["chrom_sizes"] else "genome",
            f"{chrom_sizes_path} lacks {missing}, which the demo (demo.enabled) simulates",
        )
