"""What is read and how it is counted: bins, counting engine, input kind, processed layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from chromexpr.config.sample_table import SampleTable
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.genome.bins import bin_offsets
from chromexpr.samples import feature_kind


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
        # Other rows (tagAlign, BED, single-end BAMs) have no pairs: they are counted by reads,
        # with a log line naming each file (chromexpr.counting).
        if not config["samples"] or "bam" not in formats:
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


def _mixed_kinds(rows: pd.DataFrame) -> str | None:
    """'bigWig signal (lines [..]) with reads (lines [..])' where ``rows`` mix both, else None."""
    kinds = rows["format"].map(feature_kind)
    if kinds.nunique() < 2:
        return None
    signal, reads = list(rows.index[kinds == "signal"]), list(rows.index[kinds == "reads"])
    return f"bigWig signal (lines {signal}) with reads (lines {reads})"


def check_feature_kinds(config: Mapping[str, Any], samples: SampleTable) -> None:
    """A mark is one kind of feature (read counts or bigWig signal) in every cell the run trains
    on, and in the replicates of any sample it uses; sheet rows of samples the run does not use
    are not looked at. A prediction-only sample (predict.samples, not a cell) may have another
    kind than the cells: :func:`feature_kind_warnings`. InputFormatError naming the sheet and
    its lines."""
    if not config["samples"]:
        return
    table = samples.table
    for (sample, mark), rows in table.groupby(["sample", "mark"], sort=False):
        mixed = _mixed_kinds(rows)
        if mixed:
            raise InputFormatError(
                config["samples"],
                f"sample {sample}, mark {mark} mixes {mixed}: replicates are one kind of feature",
            )
    cells = table[table["sample"].isin(samples.cells)]
    for mark, rows in cells.groupby("mark", sort=False):
        mixed = _mixed_kinds(rows)
        if mixed:
            raise InputFormatError(
                config["samples"],
                f"mark {mark} mixes {mixed} among the cells {samples.cells}: one mark must be "
                "the same kind of feature in every cell a model trains on (a prediction-only "
                "sample of predict.samples may differ)",
            )


def other_kind_targets(samples: SampleTable) -> dict[str, dict[str, str]]:
    """The prediction-only samples with a mark whose kind differs from the cells':
    {sample: {mark: its kind}}."""
    table = samples.table
    kinds = table.assign(kind=table["format"].map(feature_kind))
    cell_kind = dict(
        kinds[kinds["sample"].isin(samples.cells)][["mark", "kind"]].drop_duplicates().values
    )
    found: dict[str, dict[str, str]] = {}
    targets = kinds[~kinds["sample"].isin(samples.cells)]
    for row in targets.drop_duplicates(["sample", "mark"]).itertuples():
        if row.mark in cell_kind and cell_kind[row.mark] != row.kind:
            found.setdefault(row.sample, {})[row.mark] = row.kind
    return found


def feature_kind_warnings(config: Mapping[str, Any], samples: SampleTable) -> list[str]:
    """One warning per prediction-only sample whose marks are not of the cells' kind: the
    models read the kind they were trained on, so its predictions come from inputs on another
    scale (the predict job scores them all the same; it warns again where the whole sample's
    input kind differs from the bundles')."""
    other = {"reads": "signal", "signal": "reads"}
    return [
        f"predict.samples: sample {sample} of the sheet {config['samples']} has "
        + ", ".join(f"{mark} as {kind} (the cells': {other[kind]})" for mark, kind in marks.items())
        + "; the models were trained on the cells' kind, so its predictions read inputs on "
        "another scale"
        for sample, marks in other_kind_targets(samples).items()
    ]
