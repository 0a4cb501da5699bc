"""Which samples a config counts and trains on, and which file holds each (sample, mark)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from chromexpr.errors import ConfigError
from chromexpr.samples import template_sample_table


@dataclass(frozen=True)
class SampleTable:
    """The files counted and the samples they belong to.

    ``table``: one row per (sample, mark, replicate) with path and format (chromexpr.samples);
    ``cells``: the samples with expression, trained on; ``targets``: the samples whose
    expression is predicted from their reads (predict.samples where predict is on).
    """

    table: pd.DataFrame
    cells: list[str]
    targets: list[str]

    @property
    def samples(self) -> list[str]:
        """Every sample counted: the cells, then the targets that are not cells."""
        return self.cells + [sample for sample in self.targets if sample not in self.cells]

    @property
    def formats(self) -> set[str]:
        return set(self.table["format"])


def prediction_targets(config: Mapping[str, Any]) -> list[str]:
    """The samples predict.samples names (with predict on): they need reads, not expression."""
    predict = config["predict"]
    return list(predict["samples"]) if predict["enabled"] else []


def without_bundled_cells(
    config: Mapping[str, Any],
    sources: Mapping[str, Mapping[str, Any]],
    bundled_config: str | os.PathLike[str] | None,
) -> Mapping[str, Any]:
    """``config`` without ``cells`` where a sheet set elsewhere meets the demo cells of the
    workflow's bundled ``config/config.yaml`` (``bundled_config``, loaded by the Snakefile before
    the user's files), so that a sheet run whose own config files leave ``cells`` out uses every
    sheet sample. ``sources``: each config source's values (chromexpr.config.schema.config_sources).
    """

    def is_bundled(name: str) -> bool:
        return (
            bundled_config is not None
            and os.path.exists(name)
            and os.path.exists(bundled_config)
            and os.path.samefile(name, bundled_config)
        )

    own = [values for name, values in sources.items() if not is_bundled(name)]
    if any("cells" in values for values in own) or not any("samples" in values for values in own):
        return config
    return {key: value for key, value in config.items() if key != "cells"}


def sample_table(config: Mapping[str, Any], sheet: pd.DataFrame | None) -> SampleTable:
    """The sheet's rows for the cells and the prediction targets (``sheet``: the checked
    sample sheet config key samples names, or None), or the rows the URL template describes.

    Without ``cells``, every sheet sample that predict.samples does not name is a cell; a target
    that is not a cell needs no expression.
    """
    targets = prediction_targets(config)
    marks = config["marks"]
    if sheet is not None:
        in_sheet = list(dict.fromkeys(sheet["sample"]))
        cells = config.get("cells") or [name for name in in_sheet if name not in targets]
        for key, names in (("cells", cells), ("predict.samples", targets)):
            unknown = [name for name in names if name not in in_sheet]
            if unknown:
                raise ConfigError(
                    key, f"{unknown} are not samples of the sheet {config['samples']}"
                )
        return SampleTable(sheet[sheet["sample"].isin([*cells, *targets])], cells, targets)
    if "cells" not in config:
        raise ConfigError("cells", "required unless samples names a sample sheet")
    cells = list(config["cells"])
    samples = [*cells, *(name for name in targets if name not in cells)]
    if config["input"] == "bigwig":
        if "signal" not in config["urls"]:
            raise ConfigError("urls.signal", "required when input is bigwig")
        table = template_sample_table(samples, marks, config["urls"]["signal"], "bigwig")
        return SampleTable(table, cells, targets)
    if "reads" not in config["urls"]:
        raise ConfigError("urls.reads", "required unless samples names a sample sheet")
    table = template_sample_table(samples, marks, config["urls"]["reads"], "tagalign")
    return SampleTable(table, cells, targets)
