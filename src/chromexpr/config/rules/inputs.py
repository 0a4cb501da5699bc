"""What is read and how it is counted: bins, counting engine, input kind, processed layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.sample_table import SampleTable
from chromexpr.errors import ConfigError
from chromexpr.genome.bins import bin_offsets


def check_bins(config: Mapping[str, Any]) -> None:
    """The bins lay out (chromexpr.genome.bins.bin_offsets): the bin size divides the window on
    both sides of the TSS."""
    bin_offsets(config["bins"]["window"], config["bins"]["bin_size"])


def check_engine(config: Mapping[str, Any]) -> None:
    """Engine multicov counts BAMs, which bam: false does not build."""
    if config["counting"]["engine"] == "multicov" and not config["bam"]:
        raise ConfigError(
            "counting.engine", "multicov counts BAMs; with bam: false use engine fast"
        )


def check_counting(config: Mapping[str, Any], samples: SampleTable) -> None:
    """Counting settings that must suit the formats of the sample table."""
    counting = config["counting"]
    formats = samples.formats
    if counting["count"] == "fragments":
        if not config["samples"] or formats != {"bam"}:
            raise ConfigError(
                "counting.count",
                "fragments are counted in paired-end BAMs of a sample sheet; these inputs are "
                f"{sorted(formats)}",
            )
        if counting["engine"] != "fast":
            raise ConfigError(
                "counting.engine", "count fragments needs engine fast (multicov counts reads)"
            )
    if counting["engine"] == "multicov" and config["samples"] and formats & {"tagalign", "bed"}:
        raise ConfigError(
            "counting.engine",
            f"multicov counts BAMs; the sheet {config['samples']} has tagalign/bed rows: use "
            "engine fast",
        )


def check_processed(config: Mapping[str, Any], samples: SampleTable) -> None:
    """The processed layout: written only from whole read counts, read only from a folder.

    Every cell's dataset is exported, so a bigWig (signal) file of any cell (``input: bigwig``,
    or a bigwig row of the sheet) rules out export_processed; prediction-only samples are not
    exported.
    """
    if config["export_processed"]:
        rows = samples.table
        signal = rows[rows["sample"].isin(samples.cells) & (rows["format"] == "bigwig")]
        if len(signal) and config["samples"]:
            lines = ", ".join(
                f"{line} ({row['sample']} {row['mark']})" for line, row in signal.iterrows()
            )
            raise ConfigError(
                "export_processed",
                "the published processed layout holds whole read counts (its loaders read "
                f"int()); the sheet {config['samples']} has bigwig rows for cells, line(s) "
                f"{lines}: set export_processed: false",
            )
        if len(signal):
            raise ConfigError(
                "export_processed",
                "the published processed layout holds whole read counts (its loaders read "
                "int()); with input bigwig set export_processed: false",
            )
    if config["source"] == "processed" and not config["processed_dir"]:
        raise ConfigError("processed_dir", "required when source is processed")
